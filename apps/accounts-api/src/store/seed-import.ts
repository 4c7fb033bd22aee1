import { createHash } from 'node:crypto';
import type { SeedAccount } from './seed-file';
import type { Database } from './database';

export type SeedOutcome =
  | { readonly kind: 'imported'; readonly accounts: number; readonly sha256: string }
  | { readonly kind: 'unchanged'; readonly sha256: string }
  | { readonly kind: 'differs'; readonly sha256: string; readonly importedSha256: string; readonly importedAt: string };

/**
 * A digest of the seed's content, not of its bytes: reformatting or
 * reordering the file does not make it "differ".
 */
export function seedDigest(accounts: readonly SeedAccount[]): string {
  const canonical = [...accounts]
    .sort((a, b) => a.id - b.id)
    .map(({ id, name, balance }) => [id, name, balance]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** True when the store holds no accounts and no seed was ever imported. */
export function storeIsEmpty(db: Database): boolean {
  return db.get('SELECT 1 FROM accounts UNION ALL SELECT 1 FROM seed_imports LIMIT 1') === undefined;
}

/**
 * Imports the seed into an empty store, in one transaction. A store that
 * already holds data keeps it, and the outcome says whether the seed has
 * changed since it was imported. With `replace`, every account, transfer,
 * ledger entry and idempotency key is deleted first and the seed imported
 * in their place, still in one transaction.
 */
export function importSeed(
  db: Database,
  file: string,
  accounts: readonly SeedAccount[],
  { replace = false } = {},
): SeedOutcome {
  const sha256 = seedDigest(accounts);
  return db.transaction((): SeedOutcome => {
    if (replace) {
      db.exec(`
        DELETE FROM ledger_entries;
        DELETE FROM transfers;
        DELETE FROM idempotency_keys;
        DELETE FROM accounts;
        DELETE FROM seed_imports;
      `);
    } else if (!storeIsEmpty(db)) {
      const last = db.get<{ sha256: string; imported_at: string }>(
        'SELECT sha256, imported_at FROM seed_imports ORDER BY id DESC LIMIT 1',
      );
      if (!last || last.sha256 === sha256) return { kind: 'unchanged', sha256 };
      return { kind: 'differs', sha256, importedSha256: last.sha256, importedAt: last.imported_at };
    }
    const now = new Date().toISOString();
    for (const account of accounts) {
      db.execute(
        `INSERT INTO accounts (id, name, opening_balance, balance, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        account.id,
        account.name,
        account.balance,
        account.balance,
        now,
        now,
      );
    }
    db.execute(
      'INSERT INTO seed_imports (file, sha256, accounts, imported_at) VALUES (?, ?, ?, ?)',
      file,
      sha256,
      accounts.length,
      now,
    );
    return { kind: 'imported', accounts: accounts.length, sha256 };
  });
}
