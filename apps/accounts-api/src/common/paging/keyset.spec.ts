import { decodeCursor, encodeCursor, InvalidCursorError, sliceOf } from './keyset';

describe('keyset slices', () => {
  it('round-trips a cursor and refuses one it did not issue', () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    expect(decodeCursor(undefined)).toBe(0);
    expect(() => decodeCursor('bm9wZQ')).toThrow(InvalidCursorError);
  });

  it('gives a next cursor only when a row beyond the limit was fetched', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(sliceOf(rows, 2, (r) => r.id)).toEqual({ data: [1, 2], nextCursor: encodeCursor(2) });
    expect(sliceOf(rows, 3, (r) => r.id)).toEqual({ data: [1, 2, 3], nextCursor: null });
  });
});
