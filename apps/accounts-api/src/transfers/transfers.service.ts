import { Injectable } from '@nestjs/common';
import type { AccountRow } from '../accounts/account';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';
import { postTransfer } from '../accounts/postings';
import { AccountsService } from '../accounts/accounts.service';
import { DEFAULT_PAGE_SIZE, type PageQuery } from '../common/http/page-query.dto';
import { decodeCursor, sliceOf, type Slice } from '../common/paging/keyset';
import { IdempotencyService, type Written } from '../idempotency/idempotency.service';
import { Metrics } from '../metrics/metrics';
import { Store } from '../store/store';
import type { CreateIssuanceDto } from './dto/create-issuance.dto';
import type { CreateTransferDto } from './dto/create-transfer.dto';
import { toLedgerEntry, toTransfer, type LedgerEntry, type Transfer } from './transfer';
import { sameAccountRefusal, transferRefusal, type TransferParty } from './transfer-rules';
import { TransferNotFoundError } from './transfers.errors';
import { recordAudit, type Actor } from '../audit/audit-trail';

const toParty = (row: AccountRow): TransferParty => ({
  id: row.id,
  balance: row.balance,
  overdraftLimit: row.overdraft_limit,
  closed: row.closed_at !== null,
});

const TRANSFER_COLUMNS = ['id', 'from_id', 'to_id', 'amount', 'created_at', 'created_by'] as const;

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
        const [from, to] = (await this.accounts.lockPair(trx, dto.from, dto.to)).map(toParty);
        const refusal = transferRefusal(from, to, dto.amount);
        if (refusal) throw refusal;

        const transfer = await postTransfer(trx, {
          from,
          to,
          amount: dto.amount,
          now: new Date().toISOString(),
          by,
        });
        return toTransfer(transfer);
      }),
    );
    // Counted once committed, and once: a replay moved nothing.
    if (!written.replayed) this.metrics.transfer(written.value.amount);
    return written;
  }

  /**
   * Issues money: a transfer out of the issuance account into `dto.to`, with
   * its two entries like any other, and the event on the audit trail in the
   * same transaction. The route is the admin's alone; the issuance account
   * has no overdraft limit to speak of (MAX_MONEY), so only the receiver's
   * rules can refuse it.
   */
  async issue(dto: CreateIssuanceDto, idempotencyKey: string | undefined, by: Actor): Promise<Written<Transfer>> {
    const written = await this.store.transaction((trx) =>
      this.idempotency.run(trx, { route: 'POST /issuances', by: by.name }, idempotencyKey, dto, async () => {
        const [issuer, to] = (await this.accounts.lockPair(trx, ISSUANCE_ACCOUNT_ID, dto.to)).map(toParty);
        const refusal = transferRefusal(issuer, to, dto.amount);
        if (refusal) throw refusal;
        const transfer = await postTransfer(trx, {
          from: issuer,
          to,
          amount: dto.amount,
          now: new Date().toISOString(),
          by: by.name,
        });
        await recordAudit(trx, by, {
          type: 'money.issued',
          subject: `accounts/${to.id}`,
          details: { transfer: transfer.id, amount: dto.amount },
        });
        return toTransfer(transfer);
      }),
    );
    if (!written.replayed) this.metrics.issuance(written.value.amount);
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
}
