import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { nodeSqliteDatabase, openSqlite } from './node-sqlite.dialect';

describe('openSqlite', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'node-sqlite-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** How long `open` took to fail, and with what. */
  function failureOf(open: () => unknown): { error: unknown; ms: number } {
    const started = Date.now();
    try {
      open();
    } catch (error) {
      return { error, ms: Date.now() - started };
    }
    throw new Error('it opened');
  }

  it('creates the folder the file goes in', () => {
    const db = openSqlite(join(dir, 'state', 'deeper', 'accounts.db'), 100);
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });

  it('turns foreign keys on', () => {
    const db = openSqlite(join(dir, 'accounts.db'), 100);
    try {
      db.exec(
        'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id))',
      );
      expect(() => db.exec('INSERT INTO child VALUES (1)')).toThrow(/FOREIGN KEY constraint failed/);
    } finally {
      db.close();
    }
  });

  it('retries turning WAL on while another connection holds the file, until the busy timeout runs out', () => {
    const file = join(dir, 'accounts.db');
    const holder = new DatabaseSync(file);
    // A replica starting beside this one, mid-write: SQLite refuses the switch to WAL at once, without waiting.
    holder.exec('BEGIN IMMEDIATE; CREATE TABLE t (x)');
    try {
      const { error, ms } = failureOf(() => openSqlite(file, 300));
      expect(error).toMatchObject({ code: 'ERR_SQLITE_ERROR', errstr: 'database is locked' });
      expect(ms).toBeGreaterThanOrEqual(300);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('fails at once, without retrying, on a file that is not a database', () => {
    const file = join(dir, 'accounts.db');
    writeFileSync(file, 'this is not a database file, only text that is long enough to have a header'.repeat(10));
    const { error, ms } = failureOf(() => openSqlite(file, 5_000));
    expect(error).toMatchObject({ code: 'ERR_SQLITE_ERROR', errstr: 'file is not a database' });
    expect(ms).toBeLessThan(2_000);
  });
});

describe('nodeSqliteDatabase', () => {
  it('prepares each statement once and reuses it', () => {
    const db = new DatabaseSync(':memory:');
    const prepare = jest.spyOn(db, 'prepare');
    const database = nodeSqliteDatabase(db);
    try {
      database.prepare('CREATE TABLE t (x)').run([]);
      const insert = 'INSERT INTO t VALUES (?)';
      database.prepare(insert).run([1]);
      database.prepare(insert).run([2]);
      const select = database.prepare('SELECT x FROM t ORDER BY x');

      expect(select.reader).toBe(true);
      expect(database.prepare(insert).reader).toBe(false);
      expect(select.all([])).toEqual([{ x: 1 }, { x: 2 }]);
      expect([...select.iterate([])]).toEqual([{ x: 1 }, { x: 2 }]);
      expect(prepare.mock.calls.map(([sql]) => sql)).toEqual([
        'CREATE TABLE t (x)',
        insert,
        'SELECT x FROM t ORDER BY x',
      ]);
    } finally {
      database.close();
    }
  });

  it('closes the database once, however often it is asked to', () => {
    const db = new DatabaseSync(':memory:');
    const database = nodeSqliteDatabase(db);
    database.close();
    expect(db.isOpen).toBe(false);
    expect(() => database.close()).not.toThrow();
  });
});
