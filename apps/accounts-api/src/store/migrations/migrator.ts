import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { StoreSchema } from '../schema';
import type { StoreDialect } from '../store';
import * as initial from './001-initial';
import * as apiKeys from './002-api-keys';
import * as accountsVersion from './003-accounts-version';
import * as idempotencyBodyOnly from './004-idempotency-body-only';
import * as auditEvents from './005-audit-events';
import * as issuanceAccount from './006-issuance-account';

/**
 * Every schema version, in order, never edited once released: a change is a
 * new entry. Kysely's migrator records the applied ones in `kysely_migration`.
 */
export const MIGRATIONS = {
  '001-initial': initial,
  '002-api-keys': apiKeys,
  '003-accounts-version': accountsVersion,
  '004-idempotency-body-only': idempotencyBodyOnly,
  '005-audit-events': auditEvents,
  '006-issuance-account': issuanceAccount,
} as const;

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

export function migrations(dialect: StoreDialect, all: Record<string, { up: typeof initial.up }> = MIGRATIONS) {
  return Object.fromEntries(
    Object.entries(all).map(([name, { up }]): [string, Migration] => [name, { up: (db) => up(db, dialect) }]),
  );
}

/**
 * Brings the schema to the latest version and returns the names applied.
 * The whole run is one transaction behind a lock that replicas starting at
 * the same moment queue on (pg_advisory_xact_lock on PostgreSQL, BEGIN
 * IMMEDIATE on SQLite), so each migration is applied exactly once and a
 * failed one leaves the previous schema intact.
 */
export async function migrateToLatest(
  db: Kysely<StoreSchema>,
  dialect: StoreDialect,
  location: string,
  all?: Record<string, { up: typeof initial.up }>,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations(dialect, all)) },
  });
  // Stryker disable next-line ArrayDeclaration: Kysely leaves results out only with an error, and no result then names a failed migration either way
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    // Read by shape: the driver's errors may come from another realm (jest's), where instanceof Error fails.
    const message = (error as { message?: unknown }).message;
    let why = typeof message === 'string' ? message : JSON.stringify(error);
    // Kysely's words for a store that has a migration this api does not know.
    if (/previously executed migration .* is missing/.test(why)) {
      why += '; the store was migrated by a newer api: run a newer image';
    }
    throw new Error(`Migrating the store ${location} failed${failed ? ` at ${failed}` : ''}: ${why}`, { cause: error });
  }
  // Stryker disable next-line MethodExpression: without an error every result is a Success
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Throws, saying what to run, unless the store's schema is exactly the
 * latest this api knows; changes nothing, so that a role that may not create
 * or alter tables can run it (STORE_MIGRATIONS=check).
 */
export async function checkMigrated(
  db: Kysely<StoreSchema>,
  location: string,
  all: Record<string, unknown> = MIGRATIONS,
): Promise<void> {
  let applied: string[];
  try {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
    applied = rows.map((row) => row.name);
  } catch (error) {
    // Read by shape, as above. PostgreSQL's and SQLite's words for a table that is not there.
    const message = String((error as { message?: unknown }).message);
    if (!/does not exist|no such table/.test(message)) throw error;
    applied = [];
  }
  const known = Object.keys(all);
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `The store ${location} has migrations this api does not know (${unknown.join(', ')}): ` +
        'it was migrated by a newer api: run a newer image',
    );
  }
  const pending = known.filter((name) => !applied.includes(name));
  if (pending.length > 0) {
    throw new Error(
      `The store ${location} lacks migrations ${pending.join(', ')}, and STORE_MIGRATIONS=check does not apply them: ` +
        "run them first as the schema's owner (node dist/cli/migrate.js, the migrate service of compose.postgres.yaml)",
    );
  }
}
