import { Injectable } from '@nestjs/common';
import type { AccountRow } from '../accounts/account';
import { AccountsService } from '../accounts/accounts.service';
import { DEFAULT_PAGE_SIZE, type PageQuery } from '../common/http/page-query.dto';
import { decodeCursor, sliceOf, type Slice } from '../common/paging/keyset';
import { IdempotencyService, type Written } from '../idempotency/idempotency.service';
import { Metrics } from '../metrics/metrics';
import { Store, type Executor } from '../store/store';
import type { CreateTransferDto } from './dto/create-transfer.dto';
import { toLedgerEntry, toTransfer, type LedgerEntry, type Transfer } from './transfer';
import { sameAccountRefusal, transferRefusal, type TransferParty } from './transfer-rules';
import { TransferNotFoundError } from './transfers.errors';
import type { Actor } from '../audit/audit-trail';

const toParty = (row: AccountRow): TransferParty => ({
  id: row.id,
  balance: row.balance,
  overdraftLimit: row.overdraft_limit,
  closed: row.closed_at !== null,
});

const TRANSFER_COLUMNS = ['id', 'from_id', 'to_id', 'amount', 'created_at', 'created_by'] as const;

interface Posting {
  readonly account: number;
  readonly transfer: number;
  readonly amount: number;
  readonly balanceAfter: number;
  readonly now: string;
  readonly by: string;
}

@Injectable()
export class TransfersService {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountsService,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Moves money in one transaction: the transfer, both balances and both
   * ledger entries are written together or not at all. `by`: the name of the
   * API key making it is kept with the transfer and both entries, which are
   * the transfer's own audit trail.
   */
  async create(
    dto: CreateTransferDto,
    idempotencyKey: string | undefined,
    { name: by }: Actor,
  ): Promise<Written<Transfer>> {
    const malformed = sameAccountRefusal(dto.from, dto.to);
    if (malformed) throw malformed;
    const written = await this.store.transaction((trx) =>
      this.idempotency.run(trx, { route: 'POST /transfers', by }, idempotencyKey, dto, async () => {
        // Locked in id order, whichever way the money goes, so that two
        // opposite transfers cannot each hold one account and wait for the other.
        // Stryker disable next-line EqualityOperator: from and to always differ (refused above), so <= is <; >= locks the larger id first, an order as consistent as this one
        const [first, second] = dto.from < dto.to ? [dto.from, dto.to] : [dto.to, dto.from];
        const locked = new Map<number, AccountRow>();
        for (const id of [first, second]) locked.set(id, await this.accounts.findRow(id, trx, { lock: true }));
        const from = toParty(locked.get(dto.from)!);
        const to = toParty(locked.get(dto.to)!);
        const refusal = transferRefusal(from, to, dto.amount);
        if (refusal) throw refusal;

        const now = new Date().toISOString();
        const transfer = await trx
          .insertInto('transfers')
          .values({ from_id: from.id, to_id: to.id, amount: dto.amount, created_at: now, created_by: by })
          .returning(TRANSFER_COLUMNS)
          .executeTakeFirstOrThrow();
        const posting = { transfer: transfer.id, now, by };
        await this.post(trx, {
          ...posting,
          account: from.id,
          amount: -dto.amount,
          balanceAfter: from.balance - dto.amount,
        });
        await this.post(trx, { ...posting, account: to.id, amount: dto.amount, balanceAfter: to.balance + dto.amount });
        return toTransfer(transfer);
      }),
    );
    // Counted once committed, and once: a replay moved nothing.
    if (!written.replayed) this.metrics.transfer(written.value.amount);
    return written;
  }

  async get(id: number): Promise<Transfer> {
    const row = await this.store.db
      .selectFrom('transfers')
      .select(TRANSFER_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new TransferNotFoundError(id);
    return toTransfer(row);
  }

  /** An account's ledger, oldest first. */
  async ledger(accountId: number, query: PageQuery): Promise<Slice<LedgerEntry>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(query.cursor);
    // Accounts are closed, never deleted, so an account found here still exists for the query below.
    await this.accounts.findRow(accountId);
    const rows = await this.store.db
      .selectFrom('ledger_entries')
      .select(['id', 'account_id', 'transfer_id', 'amount', 'balance_after', 'created_at', 'created_by'])
      .where('account_id', '=', accountId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return sliceOf(rows, limit, toLedgerEntry);
  }

  /** One side of a transfer: its ledger entry and the account's new balance. */
  private async post(trx: Executor, entry: Posting): Promise<void> {
    await trx
      .insertInto('ledger_entries')
      .values({
        account_id: entry.account,
        transfer_id: entry.transfer,
        amount: entry.amount,
        balance_after: entry.balanceAfter,
        created_at: entry.now,
        created_by: entry.by,
      })
      .execute();
    await trx
      .updateTable('accounts')
      .set((eb) => ({ balance: entry.balanceAfter, version: eb('version', '+', 1), updated_at: entry.now }))
      .where('id', '=', entry.account)
      .execute();
  }
}
