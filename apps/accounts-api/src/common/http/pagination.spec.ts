import { decodeCursor, encodeCursor, InvalidCursorError, toPage } from './pagination';

describe('pagination', () => {
  it('round-trips a cursor and refuses one it did not issue', () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    expect(decodeCursor(undefined)).toBe(0);
    expect(() => decodeCursor('bm9wZQ')).toThrow(InvalidCursorError);
  });

  it('links to the next page only when a row beyond the limit was fetched', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(toPage(rows, 2, '/things', (r) => r.id)).toEqual({
      data: [1, 2],
      next: `/things?limit=2&cursor=${encodeCursor(2)}`,
    });
    expect(toPage(rows, 3, '/things', (r) => r.id)).toEqual({ data: [1, 2, 3], next: null });
  });
});
