import type { ColumnType, Generated } from 'kysely';

/**
 * The tables as the api reads and writes them, the same on both stores.
 * Money and ids are integers (bigint on PostgreSQL, read back as numbers:
 * the api never holds more than Number.MAX_SAFE_INTEGER). Times are ISO 8601
 * strings (TEXT on SQLite, timestamptz on PostgreSQL, read back as ISO strings).
 */
export interface StoreSchema {
  accounts: AccountsTable;
  transfers: TransfersTable;
  ledger_entries: LedgerEntriesTable;
  idempotency_keys: IdempotencyKeysTable;
  seed_imports: SeedImportsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}

/**
 * The issuance account, the one system account (made by migration 006).
 * Money enters the books only as a transfer out of it, so it goes as far
 * below zero as the money issued, and with it every balance sums to zero.
 * It is no customer's: no listing counts it, no customer route reaches it
 * (path ids and transfer parties start at 1).
 */
export const ISSUANCE_ACCOUNT_ID = 0;

/** A column that the database fills in unless the row is given one, as the seed does for ids. */
type Id = Generated<number>;

export interface AccountsTable {
  id: Id;
  name: string;
  opening_balance: number;
  balance: number;
  overdraft_limit: ColumnType<number, number | undefined, number>;
  version: ColumnType<number, number | undefined, number>;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** The name of the API key that opened the account; null for the seed's accounts. */
  created_by: ColumnType<string | null, string | undefined, never>;
  /** The name of the API key behind the latest rename or close. */
  updated_by: ColumnType<string | null, never, string>;
}

export interface TransfersTable {
  id: Id;
  from_id: number;
  to_id: number;
  amount: number;
  created_at: string;
  created_by: ColumnType<string | null, string, never>;
}

export interface LedgerEntriesTable {
  id: Id;
  account_id: number;
  transfer_id: number;
  amount: number;
  balance_after: number;
  created_at: string;
  created_by: ColumnType<string | null, string, never>;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  fingerprint: string;
  /**
   * Written by the previous release's replicas only (migration 004): the
   * status and Location of a replay now follow from the route.
   */
  status: ColumnType<number | null, never, never>;
  location: ColumnType<string | null, never, never>;
  /** The write's value as JSON, stored in the same transaction that claimed the key. */
  body: string;
  /** Milliseconds since the epoch. */
  created_at: number;
}

export interface SeedImportsTable {
  id: Id;
  file: string;
  sha256: string;
  accounts: number;
  imported_at: string;
}

export interface ApiKeysTable {
  id: Id;
  name: string;
  scope: string;
  /** The public part of the key, by which it is found; the secret part is only hashed. */
  lookup_id: string;
  /** SHA-256 of the whole key, hex: keys are random, so a slow password hash would add nothing. */
  secret_sha256: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Who revoked this key: a key's name, or `cli` for the keys command; null for keys revoked before migration 005. */
  revoked_by: ColumnType<string | null, never, string>;
}

/** Append-only: the store refuses UPDATE and DELETE (migration 005). */
export interface AuditEventsTable {
  id: Id;
  occurred_at: string;
  type: string;
  /** A key's name, or `bootstrap`, `seed` or `cli` for changes made without one. */
  actor: string;
  /** The request's X-Request-Id; null for changes made outside a request. */
  request_id: string | null;
  /** What changed, as a path: `accounts/4`, `keys/billing-batch`, `seed`. */
  subject: string;
  /** JSON object text: what the change was (a name before and after, a scope, an opening balance). */
  details: ColumnType<string, string | undefined, never>;
}
