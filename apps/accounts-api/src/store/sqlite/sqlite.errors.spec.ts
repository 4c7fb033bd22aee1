import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConstraintViolationError, StoreBusyError, StoreFullError, StoreUnavailableError } from '../store.errors';
import { translateSqliteError } from './sqlite.errors';

/** node:sqlite's error shape; `errcode` is the extended result code. */
const sqliteError = (errcode: number, errstr = 'some reason') =>
  Object.assign(new Error(errstr), { code: 'ERR_SQLITE_ERROR', errcode, errstr });

/** What node:sqlite throws for `sql` on `db`. */
function thrownBy(db: DatabaseSync, sql: string): unknown {
  try {
    db.exec(sql);
  } catch (error) {
    return error;
  }
  throw new Error(`${sql} did not fail`);
}

describe('translateSqliteError', () => {
  it.each([
    [13, 'SQLITE_FULL'],
    [13 | (1 << 8), 'an extended code of SQLITE_FULL'],
  ])('answers %s (%s) as StoreFullError', (errcode) => {
    const error = translateSqliteError(sqliteError(errcode));
    expect(error).toBeInstanceOf(StoreFullError);
    expect(error?.message).toBe('The accounts store is out of disk space; the change was not saved');
  });

  it.each([
    [5, 'SQLITE_BUSY'],
    [6, 'SQLITE_LOCKED'],
    [517, 'SQLITE_BUSY_SNAPSHOT'],
    [262, 'SQLITE_LOCKED_SHAREDCACHE'],
  ])('answers %s (%s) as StoreBusyError', (errcode) => {
    const error = translateSqliteError(sqliteError(errcode));
    expect(error).toBeInstanceOf(StoreBusyError);
    expect(error?.message).toBe('The accounts store is busy with other writes; retry shortly');
  });

  it.each([
    [8, 'SQLITE_READONLY'],
    [10, 'SQLITE_IOERR'],
    [11, 'SQLITE_CORRUPT'],
    [14, 'SQLITE_CANTOPEN'],
    [26, 'SQLITE_NOTADB'],
    [778, 'SQLITE_IOERR_WRITE'],
  ])("answers %s (%s) as StoreUnavailableError, with SQLite's reason", (errcode) => {
    const error = translateSqliteError(sqliteError(errcode, 'disk I/O error'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toBe('The accounts store is unavailable (disk I/O error); retry shortly');
  });

  it("answers node:sqlite's error on a closed database as StoreUnavailableError", () => {
    const db = new DatabaseSync(':memory:');
    db.close();
    const error = translateSqliteError(thrownBy(db, 'SELECT 1'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toBe('The accounts store is closed; retry shortly');
  });

  it('reads a real node:sqlite error: a file that is not a database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-errors-'));
    try {
      const file = join(dir, 'garbage.db');
      writeFileSync(file, 'not a database, just text that is long enough to look like a header'.repeat(10));
      const db = new DatabaseSync(file);
      const error = translateSqliteError(thrownBy(db, 'SELECT * FROM sqlite_master'));
      db.close();
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error?.message).toBe('The accounts store is unavailable (file is not a database); retry shortly');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a constraint violation, a value too big and a type mismatch as ConstraintViolationError, in SQLite's words", () => {
    const db = new DatabaseSync(':memory:');
    const violation = thrownBy(
      db,
      'CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)',
    );
    db.close();
    expect(violation).toMatchObject({ code: 'ERR_SQLITE_ERROR', errcode: 1555 });
    const error = translateSqliteError(violation);
    expect(error).toBeInstanceOf(ConstraintViolationError);
    expect(error?.message).toBe(
      'The store refused the change under its rule "UNIQUE constraint failed: t.id"; nothing was saved. Change the value the rule names',
    );
    expect(translateSqliteError(sqliteError(18))).toBeInstanceOf(ConstraintViolationError);
    expect(translateSqliteError(sqliteError(20))).toBeInstanceOf(ConstraintViolationError);
  });

  it('leaves other errors untranslated: a bug, not the store', () => {
    expect(translateSqliteError(sqliteError(1))).toBeUndefined();
    expect(translateSqliteError(Object.assign(new Error('x'), { code: 'ERR_OTHER', errcode: 5 }))).toBeUndefined();
    expect(translateSqliteError(new Error('database is locked'))).toBeUndefined();
    expect(translateSqliteError(null)).toBeUndefined();
    expect(translateSqliteError(undefined)).toBeUndefined();
    expect(translateSqliteError('ERR_SQLITE_ERROR')).toBeUndefined();
  });
});
