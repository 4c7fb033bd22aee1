import { Kysely, PostgresDialect, sql, type SelectQueryBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { redactUrl } from '../../config/store-url';
import { migrateToLatest } from '../migrations/migrator';
import type { StoreSchema } from '../schema';
import { Store, type Executor } from '../store';
import { countConnections } from '../connection-use';
import { translateErrors } from '../translate-errors';
import { translatePostgresError } from './postgres.errors';

export interface PostgresOptions {
  readonly url: URL;
  /** From STORE_PASSWORD_FILE; wins over a password in the URL. */
  readonly password?: string;
  readonly busyTimeoutMs: number;
  readonly poolSize: number;
  /** Told of connections that fail outside a query, which pg would otherwise throw and crash the process with. */
  readonly onConnectionError?: (error: Error) => void;
}

/** Any fixed number, the same on every replica; Kysely's migrator uses another. */
const EXCLUSIVE_LOCK_ID = 0x61636374; // "acct" in ASCII

const INT8 = 20;
const TIMESTAMPTZ = 1184;

/**
 * bigint columns come back as numbers (the api keeps every value under
 * Number.MAX_SAFE_INTEGER) and timestamptz as ISO 8601 strings, so the
 * services see the same rows on both stores.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (value: string) => Number(value);
    if (oid === TIMESTAMPTZ) return (value: string) => new Date(value).toISOString();
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/**
 * PostgreSQL through a pool of connections. When the server is down or
 * restarting, a request that needs it fails fast with StoreUnavailableError
 * (503) and the pool opens new connections once it is back: the api never
 * needs a restart.
 */
export class PostgresStore extends Store {
  readonly dialect = 'postgres';
  readonly db: Kysely<StoreSchema>;
  readonly location: string;
  readonly maxConnections: number;
  private readonly pool: pg.Pool;

  constructor(options: PostgresOptions) {
    super();
    this.location = redactUrl(options.url);
    this.maxConnections = options.poolSize;
    this.pool = new pg.Pool({
      // Parsed here rather than passed as connectionString, which pg would let override the password file.
      ...parseIntoClientConfig(options.url.href),
      ...(options.password === undefined ? {} : { password: options.password }),
      max: options.poolSize,
      // Waiting longer for a connection than for a lock would hide an outage behind slow answers.
      connectionTimeoutMillis: options.busyTimeoutMs,
      idleTimeoutMillis: 30_000,
      // Every session waits at most this long for a row lock, and a query never
      // runs away. A transaction left open between statements, as by a replica
      // whose node died mid-transfer (its socket is never closed, and TCP
      // keepalive takes hours), is ended by the server, and with it the row
      // locks that every other transfer on those accounts would wait on.
      options:
        `-c lock_timeout=${options.busyTimeoutMs} -c statement_timeout=${options.busyTimeoutMs * 5} ` +
        `-c idle_in_transaction_session_timeout=${options.busyTimeoutMs * 5}`,
      application_name: 'accounts-api',
      types,
    });
    // Stryker disable next-line ArrowFunction: an idle client's error reaches the handler through the client's own listener below as well
    this.pool.on('error', (error) => options.onConnectionError?.(error));
    // A connection that the server drops while a request holds it between
    // two queries (a restart, a fast shutdown) emits 'error' with no query to
    // fail, which would crash the process: the next query on it fails
    // instead, as unavailable, and the pool then discards it.
    this.pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
    const dialect = new PostgresDialect({ pool: this.pool });
    const driver = countConnections(
      translateErrors(dialect.createDriver(), translatePostgresError),
      this.connectionUse,
    );
    this.db = new Kysely<StoreSchema>({
      dialect: {
        createAdapter: () => dialect.createAdapter(),
        createDriver: () => driver,
        createIntrospector: (db) => dialect.createIntrospector(db),
        createQueryCompiler: () => dialect.createQueryCompiler(),
      },
      plugins: [this.closedGuard],
    });
  }

  /** REPEATABLE READ: every statement of the transaction reads the snapshot taken at its first. */
  override snapshot<T>(work: (trx: Transaction<StoreSchema>) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
  }

  forUpdate<TB extends keyof StoreSchema, O>(
    query: SelectQueryBuilder<StoreSchema, TB, O>,
  ): SelectQueryBuilder<StoreSchema, TB, O> {
    return query.forUpdate();
  }

  /** A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, even if the api dies. */
  async exclusiveLock(trx: Executor): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${EXCLUSIVE_LOCK_ID})`.execute(trx);
  }

  /** The seed writes ids itself; move each identity past the largest id so new rows do not collide. */
  async resetIdentities(trx: Executor): Promise<void> {
    for (const table of ['accounts', 'transfers', 'ledger_entries', 'seed_imports'] as const) {
      await sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false) FROM ${sql.table(table)}`.execute(
        trx,
      );
    }
  }

  /**
   * The sum of the change counters that a trigger on `accounts` bumps in
   * every transaction that writes to it (migration 003). Committed counts
   * only, as any read sees; the counters are spread over rows so that
   * concurrent writers seldom wait for one another's.
   */
  async accountsVersion(): Promise<string> {
    const { rows } = await sql<{ version: string }>`SELECT sum(changes)::text AS version FROM accounts_version`.execute(
      this.db,
    );
    return rows[0].version;
  }

  async migrate(): Promise<string[]> {
    // Stryker disable next-line StringLiteral: the migrations take any dialect but 'sqlite' as PostgreSQL
    const applied = await migrateToLatest(this.db, 'postgres', this.location);
    await this.keepRecordsToTheirOwner();
    return applied;
  }

  /**
   * Takes back the rights that its owner gave another role, as default
   * privileges do (compose.postgres.yaml's accounts_api gets every table
   * the owner makes), to change two records: the record of migrations,
   * which a role that serves requests may read, to check the schema, but
   * not forge; and the audit trail, to which it may add rows but never
   * change or remove one. roles.sql does the same at every start of the database.
   */
  private async keepRecordsToTheirOwner(): Promise<void> {
    await sql`DO $$
      DECLARE
        grant_ record;
      BEGIN
        FOR grant_ IN
          SELECT DISTINCT c.oid::regclass AS name, acl.grantee::regrole AS role, record.privileges
          FROM (VALUES ('kysely_migration', 'INSERT, UPDATE, DELETE, TRUNCATE'),
                       ('kysely_migration_lock', 'INSERT, UPDATE, DELETE, TRUNCATE'),
                       ('audit_events', 'UPDATE, DELETE, TRUNCATE')) AS record (name, privileges)
          JOIN pg_class c ON c.oid = to_regclass(record.name), aclexplode(c.relacl) acl
          WHERE acl.grantee NOT IN (0, c.relowner)
            AND position(acl.privilege_type IN record.privileges) > 0
        LOOP
          EXECUTE format('REVOKE %s ON %s FROM %s', grant_.privileges, grant_.name, grant_.role);
        END LOOP;
      END
    $$`.execute(this.db);
  }
}
