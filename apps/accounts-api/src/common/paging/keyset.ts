import { DomainError } from '../errors/domain-error';

/**
 * Lists are read a slice at a time by key ("after this id"), not by offset,
 * so a slice stays stable while rows are added. Cursors are opaque to
 * clients, but are just that id.
 */
export function encodeCursor(afterId: number): string {
  return Buffer.from(`after:${afterId}`).toString('base64url');
}

/** A cursor of the right shape that this api did not issue (the shape itself is checked on the query). */
export class InvalidCursorError extends DomainError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('cursor is not one this api issued; use the `next` link of a previous page');
  }
}

/** The id to read after: 0, before every row, without a cursor. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^after:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError();
  return Number(match[1]);
}

/** Up to `limit` items, and the cursor of the items after them, or null when there are none. */
export interface Slice<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}

/**
 * Builds a slice from rows fetched with `limit + 1`: the extra row only tells
 * whether more follow.
 */
export function sliceOf<R extends { id: number }, T>(rows: R[], limit: number, map: (row: R) => T): Slice<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { data: kept.map(map), nextCursor: more && last ? encodeCursor(last.id) : null };
}
