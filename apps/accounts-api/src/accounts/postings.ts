import type { Selectable } from 'kysely';
import type { TransfersTable } from '../store/schema';
import type { Executor } from '../store/store';

/** An account as a posting needs it: read, and locked, in the posting's transaction. */
export interface PostingParty {
  readonly id: number;
  readonly balance: number;
}

export interface Posting {
  readonly from: PostingParty;
  readonly to: PostingParty;
  readonly amount: number;
  readonly now: string;
  /** Who moves the money: a key's name, or a system actor's. */
  readonly by: string;
}

const TRANSFER_COLUMNS = ['id', 'from_id', 'to_id', 'amount', 'created_at', 'created_by'] as const;

/**
 * The one way a balance changes: a transfer row, a debit of `from` and a
 * credit of `to` that sum to zero, and both new balances, in the caller's
 * transaction. A customer's transfer and an issuance (a transfer out of the
 * issuance account) both post through here. The rules (overdraft, closed
 * accounts, scope) are the caller's to have checked.
 */
export async function postTransfer(trx: Executor, posting: Posting): Promise<Selectable<TransfersTable>> {
  const { from, to, amount, now, by } = posting;
  const transfer = await trx
    .insertInto('transfers')
    .values({ from_id: from.id, to_id: to.id, amount, created_at: now, created_by: by })
    .returning(TRANSFER_COLUMNS)
    .executeTakeFirstOrThrow();
  await postEntry(trx, transfer.id, from, -amount, now, by);
  await postEntry(trx, transfer.id, to, amount, now, by);
  return transfer;
}

async function postEntry(
  trx: Executor,
  transferId: number,
  account: PostingParty,
  amount: number,
  now: string,
  by: string,
): Promise<void> {
  const balanceAfter = account.balance + amount;
  await trx
    .insertInto('ledger_entries')
    .values({
      account_id: account.id,
      transfer_id: transferId,
      amount,
      balance_after: balanceAfter,
      created_at: now,
      created_by: by,
    })
    .execute();
  await trx
    .updateTable('accounts')
    .set((eb) => ({ balance: balanceAfter, version: eb('version', '+', 1), updated_at: now }))
    .where('id', '=', account.id)
    .execute();
}
