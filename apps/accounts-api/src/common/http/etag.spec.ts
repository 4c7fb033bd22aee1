import { etagOf, ifMatchAllows } from './etag';

describe('ifMatchAllows', () => {
  it('allows a change without If-Match, with *, or with the current tag among others', () => {
    expect(ifMatchAllows(undefined, 3)).toBe(true);
    expect(ifMatchAllows('*', 3)).toBe(true);
    expect(ifMatchAllows(`"1", ${etagOf(3)}`, 3)).toBe(true);
    expect(ifMatchAllows(` ${etagOf(3)} `, 3)).toBe(true);
  });

  it('refuses a stale or weak tag', () => {
    expect(ifMatchAllows('"2"', 3)).toBe(false);
    expect(ifMatchAllows('W/"3"', 3)).toBe(false);
    expect(ifMatchAllows('', 3)).toBe(false);
  });

  it('quotes the version as a strong tag', () => {
    expect(etagOf(12)).toBe('"12"');
  });
});
