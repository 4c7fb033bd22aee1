import { createHash } from 'node:crypto';
import { recordAudit, SYSTEM_ACTORS, type Actor } from '../audit/audit-trail';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';
import type { SeedAccount } from './seed-file';
import type { Executor, Store } from '../store/store';

const SEED_BATCH = 1_000;

export type SeedOutcome =
  | { readonly kind: 'imported'; readonly accounts: number; readonly sha256: string }
  | { readonly kind: 'unchanged'; readonly sha256: string }
  | { readonly kind: 'differs'; readonly sha256: string; readonly importedSha256: string; readonly importedAt: string };

/**
 * A digest of the seed's content, not of its bytes: reformatting or
 * reordering the file does not make it "differ".
 */
export function seedDigest(accounts: readonly SeedAccount[]): string {
  const canonical = [...accounts].sort((a, b) => a.id - b.id).map(({ id, name, balance }) => [id, name, balance]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** True when the store holds no customer account and no seed was ever imported. */
export async function storeIsEmpty(db: Executor): Promise<boolean> {
  const account = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', '<>', ISSUANCE_ACCOUNT_ID)
    .limit(1)
    .executeTakeFirst();
  if (account) return false;
  return (await db.selectFrom('seed_imports').select('id').limit(1).executeTakeFirst()) === undefined;
}

/**
 * Imports the seed into an empty store, in one transaction. A store that
 * already holds data keeps it, and the outcome says whether the seed has
 * changed since it was imported. With `replace`, every customer account,
 * transfer, ledger entry and idempotency key is deleted first, the issuance
 * account emptied, and the seed imported in their place, still in one
 * transaction. The audit trail is never deleted: the import is one more
 * event on it, by `by`.
 *
 * Each seed balance is issued like any money: a transfer out of the
 * issuance account (into it, for a negative one), with its two entries.
 */
export function importSeed(
  store: Store,
  file: string,
  accounts: readonly SeedAccount[],
  { replace = false, by = SYSTEM_ACTORS.seed }: { replace?: boolean; by?: Actor } = {},
): Promise<SeedOutcome> {
  const sha256 = seedDigest(accounts);
  return store.transaction(async (trx): Promise<SeedOutcome> => {
    await store.exclusiveLock(trx);
    if (replace) {
      for (const table of ['ledger_entries', 'transfers', 'idempotency_keys', 'seed_imports'] as const) {
        await trx.deleteFrom(table).execute();
      }
      await trx.deleteFrom('accounts').where('id', '<>', ISSUANCE_ACCOUNT_ID).execute();
      await trx
        .updateTable('accounts')
        .set((eb) => ({ balance: 0, version: eb('version', '+', 1) }))
        .where('id', '=', ISSUANCE_ACCOUNT_ID)
        .execute();
    } else if (!(await storeIsEmpty(trx))) {
      const last = await trx
        .selectFrom('seed_imports')
        .select(['sha256', 'imported_at'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!last || last.sha256 === sha256) return { kind: 'unchanged', sha256 };
      return { kind: 'differs', sha256, importedSha256: last.sha256, importedAt: last.imported_at };
    }
    const now = new Date().toISOString();
    // In batches: one statement may bind only so many parameters (32,766 on SQLite).
    for (let start = 0; start < accounts.length; start += SEED_BATCH) {
      await trx
        .insertInto('accounts')
        .values(
          accounts.slice(start, start + SEED_BATCH).map((account) => ({
            id: account.id,
            name: account.name,
            opening_balance: account.balance,
            balance: account.balance,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    }
    await issueSeedBalances(trx, accounts, now, by.name);
    await trx
      .insertInto('seed_imports')
      .values({ file, sha256, accounts: accounts.length, imported_at: now })
      .execute();
    await store.resetIdentities(trx);
    await recordAudit(trx, by, {
      type: 'seed.imported',
      subject: 'seed',
      details: { file, sha256, accounts: accounts.length, replaced: replace },
    });
    return { kind: 'imported', accounts: accounts.length, sha256 };
  });
}

/**
 * The seed's balances as issuance transfers and their entries, in batches,
 * then the issuance account's balance: what the accounts hold, negated.
 * Each account has one such transfer, so a returned row is matched to its
 * account by its parties, whatever order the store returns them in.
 */
async function issueSeedBalances(trx: Executor, accounts: readonly SeedAccount[], now: string, by: string) {
  const issued = accounts.filter((account) => account.balance !== 0);
  const issuer = ISSUANCE_ACCOUNT_ID;
  let issuerBalance = 0;
  for (let start = 0; start < issued.length; start += SEED_BATCH) {
    const batch = issued.slice(start, start + SEED_BATCH);
    const transfers = await trx
      .insertInto('transfers')
      .values(
        batch.map(({ id, balance }) => ({
          // Stryker disable next-line EqualityOperator: no balance here is 0 (filtered above), so >= is >
          from_id: balance > 0 ? issuer : id,
          // Stryker disable next-line EqualityOperator: as above
          to_id: balance > 0 ? id : issuer,
          amount: Math.abs(balance),
          created_at: now,
          created_by: by,
        })),
      )
      .returning(['id', 'from_id', 'to_id'])
      .execute();
    const transferOf = new Map(transfers.map((t) => [t.from_id === issuer ? t.to_id : t.from_id, t.id]));
    // Stryker disable MethodExpression,ArrowFunction,ArithmeticOperator: both stores return inserted rows in order today, so no test sees the sort; it keeps the running balance in transfer order if one does not
    const entries = batch
      .map(({ id, balance }) => ({ account: id, balance, transfer: transferOf.get(id)! }))
      .sort((a, b) => a.transfer - b.transfer)
      .flatMap(({ account, balance, transfer }) => {
        issuerBalance -= balance;
        const entry = { transfer_id: transfer, created_at: now, created_by: by };
        return [
          { ...entry, account_id: issuer, amount: -balance, balance_after: issuerBalance },
          { ...entry, account_id: account, amount: balance, balance_after: balance },
        ];
      });
    // Stryker restore MethodExpression,ArrowFunction,ArithmeticOperator
    await trx.insertInto('ledger_entries').values(entries).execute();
  }
  await trx.updateTable('accounts').set({ balance: issuerBalance }).where('id', '=', issuer).execute();
}
