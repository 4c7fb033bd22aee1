import { HttpStatus, Injectable } from '@nestjs/common';
import type { AccountRow } from '../accounts/account';
import { AccountsService } from '../accounts/accounts.service';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page, type PageQuery } from '../common/http/pagination';
import { IdempotencyService, type WriteResult } from '../idempotency/idempotency.service';
import { Store, type Executor } from '../store/store';
import type { CreateTransferDto } from './dto/create-transfer.dto';
import { toLedgerEntry, toTransfer, type LedgerEntry, type Transfer } from './transfer';
import { sameAccountRefusal, transferRefusal, type TransferParty } from './transfer-rules';
import { TransferNotFoundError } from './transfers.errors';

const toParty = (row: AccountRow): TransferParty => ({
  id: row.id,
  balance: row.balance,
  overdraftLimit: row.overdraft_limit,
  closed: row.closed_at !== null,
});

@Injectable()
export class TransfersService {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Moves money in one transaction: the transfer, both balances and both
   * ledger entries are written together or not at all.
   */
  async create(dto: CreateTransferDto, idempotencyKey: string | undefined): Promise<WriteResult<Transfer>> {
    const malformed = sameAccountRefusal(dto.from, dto.to);
    if (malformed) throw malformed;
    return this.store.transaction((trx) =>
      this.idempotency.run(trx, 'POST /transfers', idempotencyKey, dto, async () => {
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
          .values({ from_id: from.id, to_id: to.id, amount: dto.amount, created_at: now })
          .returning(['id', 'from_id', 'to_id', 'amount', 'created_at'])
          .executeTakeFirstOrThrow();
        await this.post(trx, from.id, transfer.id, -dto.amount, from.balance - dto.amount, now);
        await this.post(trx, to.id, transfer.id, dto.amount, to.balance + dto.amount, now);
        return { status: HttpStatus.CREATED, location: `/transfers/${transfer.id}`, body: toTransfer(transfer) };
      }),
    );
  }

  async get(id: number): Promise<Transfer> {
    const row = await this.store.db
      .selectFrom('transfers')
      .select(['id', 'from_id', 'to_id', 'amount', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new TransferNotFoundError(id);
    return toTransfer(row);
  }

  /** An account's ledger, oldest first. */
  async ledger(accountId: number, query: PageQuery): Promise<Page<LedgerEntry>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(query.cursor);
    // Accounts are closed, never deleted, so an account found here still exists for the query below.
    await this.accounts.findRow(accountId);
    const rows = await this.store.db
      .selectFrom('ledger_entries')
      .select(['id', 'account_id', 'transfer_id', 'amount', 'balance_after', 'created_at'])
      .where('account_id', '=', accountId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, `/accounts/${accountId}/transactions`, toLedgerEntry);
  }

  private async post(
    trx: Executor,
    accountId: number,
    transferId: number,
    amount: number,
    balanceAfter: number,
    now: string,
  ): Promise<void> {
    await trx
      .insertInto('ledger_entries')
      .values({ account_id: accountId, transfer_id: transferId, amount, balance_after: balanceAfter, created_at: now })
      .execute();
    await trx
      .updateTable('accounts')
      .set((eb) => ({ balance: balanceAfter, version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', accountId)
      .execute();
  }
}
