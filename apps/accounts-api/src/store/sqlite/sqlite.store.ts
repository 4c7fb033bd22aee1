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
  readonly db: Kysely<StoreSchema>;

  constructor(
    readonly location: string,
    busyTimeoutMs: number,
  ) {
    super();
    this.db = new Kysely<StoreSchema>({
      dialect: new NodeSqliteDialect(openSqlite(location, busyTimeoutMs)),
      plugins: [this.closedGuard],
    });
  }

  /** A transaction here already holds the whole file's write lock (BEGIN IMMEDIATE). */
  forUpdate<O>(query: SelectQueryBuilder<StoreSchema, any, O>): SelectQueryBuilder<StoreSchema, any, O> {
    return query;
  }

  /** Every transaction here holds the file's write lock already. */
  async exclusiveLock(_trx: Executor): Promise<void> {}

  /** INTEGER PRIMARY KEY takes the largest id plus one by itself. */
  async resetIdentities(_trx: Executor): Promise<void> {}

  migrate(): Promise<string[]> {
    return migrateToLatest(this.db, 'sqlite', this.location);
  }
}
