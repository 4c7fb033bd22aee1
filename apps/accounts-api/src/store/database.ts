import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { isBusy, StoreUnavailableException, toHttpError } from './store-errors';

export type Row = Record<string, SQLInputValue>;

/** How many times a transaction that found the write lock taken is started again. */
const BUSY_RETRIES = 2;

/**
 * The one SQLite connection of this process. node:sqlite is synchronous, so a
 * transaction body runs without yielding to other requests of this process;
 * `BEGIN IMMEDIATE` takes the file's write lock up front, so replicas sharing
 * the file queue on `busy_timeout` instead of failing halfway through.
 */
export class Database {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(
    readonly file: string,
    busyTimeoutMs: number,
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new DatabaseSync(file, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
    // WAL lets readers run while a replica writes; FULL syncs the WAL on every
    // commit, so an acknowledged write survives `kill -9` and power loss.
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
  }

  /** Runs `work` in one write transaction: all of it is committed, or none of it. */
  transaction<T>(work: () => T): T {
    this.assertOpen();
    for (let attempt = 0; ; attempt++) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (!isBusy(error) || attempt >= BUSY_RETRIES) throw toHttpError(error);
      }
    }
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw toHttpError(error);
    }
  }

  all<T = Row>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.run(() => this.statement(sql).all(...params) as T[]);
  }

  get<T = Row>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.run(() => this.statement(sql).get(...params) as T | undefined);
  }

  /** Runs a write statement and returns the new rowid and the count of changed rows. */
  execute(sql: string, ...params: SQLInputValue[]): { lastInsertRowid: number; changes: number } {
    return this.run(() => {
      const { lastInsertRowid, changes } = this.statement(sql).run(...params);
      return { lastInsertRowid: Number(lastInsertRowid), changes: Number(changes) };
    });
  }

  /** Runs a script of statements, such as a migration. */
  exec(sql: string): void {
    this.run(() => this.db.exec(sql));
  }

  pragma(name: string): unknown {
    return this.get<Row>(`PRAGMA ${name}`)?.[name];
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private assertOpen(): void {
    if (!this.db.isOpen) throw new StoreUnavailableException('The accounts store is closed; retry shortly');
  }

  private run<T>(query: () => T): T {
    this.assertOpen();
    try {
      return query();
    } catch (error) {
      throw toHttpError(error);
    }
  }
}
