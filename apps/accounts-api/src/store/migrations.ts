import type { Database } from './database';

/**
 * The schema, one entry per version, never edited once released: a change is
 * a new entry. `PRAGMA user_version` records how many have been applied.
 *
 * Money columns are INTEGER (whole units); STRICT tables refuse anything else.
 * `balance` is kept beside the ledger for fast reads; every change to it
 * writes a ledger entry in the same transaction, so that
 * balance = opening_balance + sum(ledger_entries.amount) always holds.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    opening_balance INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    overdraft_limit INTEGER NOT NULL DEFAULT 0 CHECK (overdraft_limit >= 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
  ) STRICT;

  CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES accounts (id),
    to_id INTEGER NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    created_at TEXT NOT NULL,
    CHECK (from_id <> to_id)
  ) STRICT;

  CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    amount INTEGER NOT NULL CHECK (amount <> 0),
    balance_after INTEGER NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, id);

  CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) STRICT;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

  CREATE TABLE seed_imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    imported_at TEXT NOT NULL
  ) STRICT;
  `,
];

/**
 * Brings the schema to the latest version. The check and the changes share
 * one write transaction, so replicas starting together apply each migration
 * exactly once, and a failed migration leaves the previous schema intact.
 * Returns the versions applied by this call.
 */
export function migrate(db: Database, migrations: readonly string[] = MIGRATIONS): number[] {
  return db.transaction(() => {
    const current = Number(db.pragma('user_version'));
    if (current > migrations.length) {
      throw new Error(
        `The store ${db.file} has schema version ${current}, newer than this api's ${migrations.length}; run a newer image`,
      );
    }
    const applied: number[] = [];
    for (let version = current + 1; version <= migrations.length; version++) {
      db.exec(migrations[version - 1]);
      applied.push(version);
    }
    // PRAGMA takes no bound parameters; the value is an integer we computed.
    if (applied.length > 0) db.exec(`PRAGMA user_version = ${migrations.length}`);
    return applied;
  });
}
