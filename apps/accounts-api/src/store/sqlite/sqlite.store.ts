import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Kysely, type SelectQueryBuilder } from 'kysely';
import { migrateToLatest } from '../migrations/migrator';
import type { StoreSchema } from '../schema';
import { Store, type Executor } from '../store';
import { NodeSqliteDialect, openSqlite } from './node-sqlite.dialect';

/**
 * The embedded store: one file on the `state` volume, shared by the replicas
 * of one machine, which take turns for its write lock.
 */
export class SqliteStore extends Store {
  readonly dialect = 'sqlite';
  /** One connection, which queries and transactions take in turns. */
  readonly maxConnections = 1;
  readonly db: Kysely<StoreSchema>;
  private readonly connection: DatabaseSync;
  private versionStatement?: StatementSync;

  constructor(
    readonly location: string,
    busyTimeoutMs: number,
  ) {
    super();
    this.connection = openSqlite(location, busyTimeoutMs);
    this.db = new Kysely<StoreSchema>({
      dialect: new NodeSqliteDialect(this.connection, this.connectionUse),
      plugins: [this.closedGuard],
    });
  }

  /** A transaction here already holds the whole file's write lock (BEGIN IMMEDIATE). */
  forUpdate<TB extends keyof StoreSchema, O>(
    query: SelectQueryBuilder<StoreSchema, TB, O>,
  ): SelectQueryBuilder<StoreSchema, TB, O> {
    return query;
  }

  /** Every transaction here holds the file's write lock already. */
  // Stryker disable next-line BlockStatement: an empty body returns undefined, and awaiting it is awaiting a resolved promise
  exclusiveLock(_trx: Executor): Promise<void> {
    return Promise.resolve();
  }

  /** INTEGER PRIMARY KEY takes the largest id plus one by itself. */
  // Stryker disable next-line BlockStatement: an empty body returns undefined, and awaiting it is awaiting a resolved promise
  resetIdentities(_trx: Executor): Promise<void> {
    return Promise.resolve();
  }

  migrate(): Promise<string[]> {
    return migrateToLatest(this.db, 'sqlite', this.location);
  }

  /**
   * SQLite counts it for us: `data_version` moves when another connection
   * (another replica) commits to the file, and `total_changes()` when this
   * one writes. Read outside Kysely's queue on purpose: a transaction this
   * connection has open only adds its own uncommitted changes, and a reader
   * then loads the accounts after it ends, so a key never stands for older data.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a closed store rejects, as on PostgreSQL, rather than throws
  async accountsVersion(): Promise<string> {
    this.assertOpen();
    // In WAL mode a read waits for no lock, so there is no busy store to translate here.
    this.versionStatement ??= this.connection.prepare(
      "SELECT (SELECT data_version FROM pragma_data_version) || '.' || total_changes() AS version",
    );
    return (this.versionStatement.get() as { version: string }).version;
  }
}
