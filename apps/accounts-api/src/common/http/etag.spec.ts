import { PreconditionFailedException } from '@nestjs/common';
import { assertIfMatch, etagOf } from './etag';

describe('assertIfMatch', () => {
  it('passes without If-Match, with *, or with the current tag among others', () => {
    expect(() => assertIfMatch(undefined, 3)).not.toThrow();
    expect(() => assertIfMatch('*', 3)).not.toThrow();
    expect(() => assertIfMatch(`"1", ${etagOf(3)}`, 3)).not.toThrow();
  });

  it('fails with 412 on a stale or weak tag', () => {
    expect(() => assertIfMatch('"2"', 3)).toThrow(PreconditionFailedException);
    expect(() => assertIfMatch('W/"3"', 3)).toThrow(PreconditionFailedException);
  });
});
