import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../store';

/**
 * A version of the accounts that every replica can read in one cheap query,
 * so that each may keep answers in memory for as long as it has not moved
 * (Store.accountsVersion). SQLite keeps such a count itself; PostgreSQL gets
 * change counters that a statement trigger on `accounts` bumps, inside the
 * writing transaction, so a reader sees the new count exactly when it can see
 * the new rows.
 *
 * One counter row would make every write on every replica queue behind the
 * one before it until it commits; sixteen, picked by the writing session,
 * let concurrent writers pass each other. The version is their sum.
 */
const POSTGRES = [
  `CREATE TABLE accounts_version (
     shard smallint PRIMARY KEY CHECK (shard BETWEEN 0 AND 15),
     changes bigint NOT NULL
   )`,
  `INSERT INTO accounts_version (shard, changes) SELECT shard, 0 FROM generate_series(0, 15) AS shard`,
  `CREATE FUNCTION count_accounts_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE accounts_version SET changes = changes + 1 WHERE shard = pg_backend_pid() % 16;
     RETURN NULL;
   END
   $$`,
  `CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
     FOR EACH STATEMENT EXECUTE FUNCTION count_accounts_change()`,
];

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  // Stryker disable next-line ConditionalExpression,StringLiteral: on SQLite there is nothing to create
  if (dialect === 'sqlite') return;
  // One statement at a time, as runScript does; the function's body holds semicolons of its own.
  for (const statement of POSTGRES) await sql.raw(statement).execute(db);
}
