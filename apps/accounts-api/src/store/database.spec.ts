import { HttpStatus } from '@nestjs/common';
import { tempStore } from '../../test/support/temp-store';
import { Database } from './database';
import { InsufficientStorageException, StoreUnavailableException } from './store-errors';

describe('Database', () => {
  let store: ReturnType<typeof tempStore>;
  beforeEach(() => (store = tempStore()));
  afterEach(() => store.dispose());

  it('opens the file in WAL mode with full syncs', () => {
    expect(store.db.pragma('journal_mode')).toBe('wal');
    expect(store.db.pragma('synchronous')).toBe(2); // FULL
  });

  it('rolls a failed transaction back whole', () => {
    const insert = () =>
      store.db.execute(
        "INSERT INTO accounts (name, opening_balance, balance, created_at, updated_at) VALUES ('a', 1, 1, 'now', 'now')",
      );
    expect(() =>
      store.db.transaction(() => {
        insert();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.db.get('SELECT count(*) AS n FROM accounts')).toEqual({ n: 0 });
  });

  it('answers 503 with Retry-After when another connection keeps the write lock past the busy timeout', () => {
    const other = new Database(store.file, 200);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      let error: unknown;
      try {
        store.db.transaction(() => undefined);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreUnavailableException);
      expect((error as StoreUnavailableException).getStatus()).toBe(HttpStatus.SERVICE_UNAVAILABLE);
      // The first attempt and each retry waited for the busy timeout.
      expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 200 - 50);
      other.exec('ROLLBACK');
      expect(() => store.db.transaction(() => undefined)).not.toThrow();
    } finally {
      other.close();
    }
  });

  it('answers 507 when the file cannot grow, and keeps what was committed', () => {
    const insert = (name: string) =>
      store.db.execute(
        'INSERT INTO accounts (name, opening_balance, balance, created_at, updated_at) VALUES (?, 0, 0, ?, ?)',
        name,
        'x'.repeat(3000),
        'now',
      );
    insert('kept');
    store.db.exec(`PRAGMA max_page_count = ${Number(store.db.pragma('page_count'))}`);

    let error: unknown;
    try {
      store.db.transaction(() => {
        for (let i = 0; i < 100; i++) insert(`n${i}`);
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InsufficientStorageException);
    expect((error as InsufficientStorageException).getStatus()).toBe(507);
    expect(store.db.all('SELECT name FROM accounts')).toEqual([{ name: 'kept' }]);
  });
});
