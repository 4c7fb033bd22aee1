import { etagOf, ifMatchAllows, ifNoneMatchHits } from './etag';

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

describe('ifNoneMatchHits', () => {
  it('hits on the current tag, strong or weak, alone or among others, and on *', () => {
    expect(ifNoneMatchHits(etagOf(3), 3)).toBe(true);
    expect(ifNoneMatchHits('W/"3"', 3)).toBe(true);
    expect(ifNoneMatchHits(`"1", ${etagOf(3)}`, 3)).toBe(true);
    expect(ifNoneMatchHits(' "1" ,W/"3" ', 3)).toBe(true);
    expect(ifNoneMatchHits('*', 3)).toBe(true);
  });

  it('misses without the header, on another version, and on a tag that only contains the version', () => {
    expect(ifNoneMatchHits(undefined, 3)).toBe(false);
    expect(ifNoneMatchHits('"2", W/"4"', 3)).toBe(false);
    expect(ifNoneMatchHits('3', 3)).toBe(false);
    expect(ifNoneMatchHits('"33"', 3)).toBe(false);
    expect(ifNoneMatchHits('', 3)).toBe(false);
  });
});
