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
 *
 * Three statements, not five: the caller holds both accounts' row locks
 * until it commits, so each round trip here is time every other transfer
 * on either account waits.
 */
export async function postTransfer(trx: Executor, posting: Posting): Promise<Selectable<TransfersTable>> {
  const { from, to, amount, now, by } = posting;
  const transfer = await trx
    .insertInto('transfers')
    .values({ from_id: from.id, to_id: to.id, amount, created_at: now, created_by: by })
    .returning(TRANSFER_COLUMNS)
    .executeTakeFirstOrThrow();
  const moves = [
    { account: from, amount: -amount },
    { account: to, amount },
  ].map(({ account, amount }) => ({ id: account.id, amount, balanceAfter: account.balance + amount }));
  // The debit's entry first: entries are read back in id order.
  await trx
    .insertInto('ledger_entries')
    .values(
      moves.map(({ id, amount, balanceAfter }) => ({
        account_id: id,
        transfer_id: transfer.id,
        amount,
        balance_after: balanceAfter,
        created_at: now,
        created_by: by,
      })),
    )
    .execute();
  const [debit, credit] = moves;
  await trx
    .updateTable('accounts')
    .set((eb) => ({
      // Cast: PostgreSQL types a CASE of bare parameters as text.
      balance: eb
        .case()
        .when('id', '=', debit.id)
        .then(eb.cast<number>(eb.val(debit.balanceAfter), 'bigint'))
        .else(eb.cast<number>(eb.val(credit.balanceAfter), 'bigint'))
        .end(),
      version: eb('version', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', [debit.id, credit.id])
    .execute();
  return transfer;
}
