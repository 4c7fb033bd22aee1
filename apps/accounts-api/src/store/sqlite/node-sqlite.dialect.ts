import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
} from 'kysely';
import { ConnectionUse, countConnections } from '../connection-use';
import { translateErrors } from '../translate-errors';
import { translateSqliteError } from './sqlite.errors';

/**
 * Kysely's SQLite dialect speaks to a better-sqlite3-shaped database; this
 * is that shape over Node's built-in node:sqlite, with prepared statements
 * kept for reuse (the api runs a fixed set of queries).
 */
export function nodeSqliteDatabase(db: DatabaseSync): SqliteDatabase {
  // Whether a statement returns rows is asked on every query, and columns() builds a fresh array each time: kept too.
  const statements = new Map<string, { prepared: StatementSync; reader: boolean }>();
  return {
    close: () => {
      if (db.isOpen) db.close();
    },
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        const prepared = db.prepare(sql);
        statement = { prepared, reader: prepared.columns().length > 0 };
        statements.set(sql, statement);
      }
      const { prepared, reader } = statement;
      return {
        reader,
        all: (parameters) => prepared.all(...(parameters as never[])),
        run: (parameters) => prepared.run(...(parameters as never[])),
        iterate: (parameters) => prepared.iterate(...(parameters as never[])) as IterableIterator<unknown>,
      };
    },
  };
}

/** Opens the file in WAL mode with full syncs. */
export function openSqlite(file: string, busyTimeoutMs: number): DatabaseSync {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
  // Turning WAL on needs the file to itself for a moment, and SQLite answers
  // "database is locked" at once, without waiting, while a replica starting
  // beside this one holds it: retry within the busy timeout.
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      break;
    } catch (error) {
      if (Date.now() > deadline || translateSqliteError(error)?.code !== 'store_busy') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  // FULL syncs the WAL on every commit, so an acknowledged write survives
  // `kill -9` and power loss.
  // Stryker disable next-line StringLiteral,CallExpression: FULL is node:sqlite's own default; this pins it, which no test on this build can tell apart
  db.exec('PRAGMA synchronous = FULL');
  return db;
}

/**
 * Every transaction begins IMMEDIATE: it takes the file's write lock up
 * front, so replicas sharing the file queue on the busy timeout instead of
 * failing halfway through when a read lock cannot be upgraded.
 *
 * The one connection is taken in turns here: a query or transaction waits
 * for the one before it to give the connection back. Kysely would queue
 * them itself, above the driver, for an adapter that supports one
 * connection only; queued here, below countConnections, the store can count
 * who waits (TransactionalSqliteAdapter says so).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  private turn?: Promise<void>;
  private endTurn?: () => void;

  constructor(private readonly connection: DatabaseSync) {
    super({ database: nodeSqliteDatabase(connection) });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    while (this.turn) await this.turn;
    this.turn = new Promise((resolve) => (this.endTurn = resolve));
    return super.acquireConnection();
  }

  override releaseConnection(): Promise<void> {
    const endTurn = this.endTurn;
    this.turn = undefined;
    this.endTurn = undefined;
    // Stryker disable next-line OptionalChaining: Kysely gives a connection back only after taking it, so a turn is always open here
    endTurn?.();
    return Promise.resolve();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /** SQLite has already rolled back by itself after some errors, such as a full disk. */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.connection.isTransaction) await super.rollbackTransaction(connection);
  }
}

/**
 * Migrations run in one transaction as well: with BEGIN IMMEDIATE that is
 * the lock that makes replicas starting together apply each one once.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  /** ImmediateSqliteDriver takes its one connection in turns itself. */
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  constructor(
    private readonly connection: DatabaseSync,
    private readonly use: ConnectionUse,
  ) {
    // Stryker disable next-line ObjectLiteral: createDriver below replaces the only use SqliteDialect makes of it
    super({ database: nodeSqliteDatabase(connection) });
  }

  override createDriver(): Driver {
    return countConnections(
      translateErrors(new ImmediateSqliteDriver(this.connection), translateSqliteError),
      this.use,
    );
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalSqliteAdapter();
  }
}
