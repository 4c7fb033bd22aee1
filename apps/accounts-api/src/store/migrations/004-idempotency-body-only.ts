import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store';
import { runScript } from './script';

/**
 * An Idempotency-Key's stored answer is the write's value alone: the
 * controllers derive the status and Location from the route, so a replay
 * answers exactly as the first request did without the store knowing HTTP.
 *
 * Expand, then contract: `status` only loses NOT NULL here, because during a
 * rolling update replicas of the previous release still write it. A later
 * migration drops `status` and `location` once no such replica can run.
 * SQLite cannot drop NOT NULL in place, so its table is rebuilt with the same
 * rows, in the migration's transaction.
 */
const SQLITE = `
  CREATE TABLE idempotency_keys_004 (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    location TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) STRICT;
  INSERT INTO idempotency_keys_004 (scope, key, fingerprint, status, location, body, created_at)
    SELECT scope, key, fingerprint, status, location, body, created_at FROM idempotency_keys;
  DROP TABLE idempotency_keys;
  ALTER TABLE idempotency_keys_004 RENAME TO idempotency_keys;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)
`;

const POSTGRES = `ALTER TABLE idempotency_keys ALTER COLUMN status DROP NOT NULL`;

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  await runScript(db, dialect === 'sqlite' ? SQLITE : POSTGRES);
}
