import { BadRequestException, ConflictException, HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import type { AccountRow } from '../accounts/account';
import { AccountsService } from '../accounts/accounts.service';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page, type PageQuery } from '../common/http/pagination';
import { IdempotencyService, type WriteResult } from '../idempotency/idempotency.service';
import { Database } from '../store/database';
import type { CreateTransferDto } from './dto/create-transfer.dto';
import { toLedgerEntry, toTransfer, type LedgerEntry, type LedgerEntryRow, type Transfer, type TransferRow } from './transfer';
import { transferRefusal, type TransferParty } from './transfer-rules';

const toParty = (row: AccountRow): TransferParty => ({
  id: row.id,
  balance: row.balance,
  overdraftLimit: row.overdraft_limit,
  closed: row.closed_at !== null,
});

@Injectable()
export class TransfersService {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Moves money in one transaction: the transfer, both balances and both
   * ledger entries are written together or not at all.
   */
  create(dto: CreateTransferDto, idempotencyKey: string | undefined): WriteResult<Transfer> {
    if (dto.from === dto.to) {
      throw new BadRequestException('from and to must be different accounts');
    }
    return this.db.transaction(() =>
      this.idempotency.run('POST /transfers', idempotencyKey, dto, () => {
        const from = toParty(this.accounts.findRow(dto.from));
        const to = toParty(this.accounts.findRow(dto.to));
        const refusal = transferRefusal(from, to, dto.amount);
        if (refusal) throw new ConflictException(refusal);

        const now = new Date().toISOString();
        const transferId = this.db.execute(
          'INSERT INTO transfers (from_id, to_id, amount, created_at) VALUES (?, ?, ?, ?)',
          from.id,
          to.id,
          dto.amount,
          now,
        ).lastInsertRowid;
        this.post(from.id, transferId, -dto.amount, from.balance - dto.amount, now);
        this.post(to.id, transferId, dto.amount, to.balance + dto.amount, now);
        return { status: HttpStatus.CREATED, location: `/transfers/${transferId}`, body: this.get(transferId) };
      }),
    );
  }

  get(id: number): Transfer {
    const row = this.db.get<TransferRow>('SELECT id, from_id, to_id, amount, created_at FROM transfers WHERE id = ?', id);
    if (!row) throw new NotFoundException(`Transfer ${id} does not exist`);
    return toTransfer(row);
  }

  /** An account's ledger, oldest first. */
  ledger(accountId: number, query: PageQuery): Page<LedgerEntry> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(query.cursor);
    // Accounts are closed, never deleted, so an account found here still exists for the query below.
    this.accounts.findRow(accountId);
    const rows = this.db.all<LedgerEntryRow>(
      `SELECT id, account_id, transfer_id, amount, balance_after, created_at
       FROM ledger_entries WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?`,
      accountId,
      after,
      limit + 1,
    );
    return toPage(rows, limit, `/accounts/${accountId}/transactions`, toLedgerEntry);
  }

  private post(accountId: number, transferId: number, amount: number, balanceAfter: number, now: string): void {
    this.db.execute(
      'INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, created_at) VALUES (?, ?, ?, ?, ?)',
      accountId,
      transferId,
      amount,
      balanceAfter,
      now,
    );
    this.db.execute(
      'UPDATE accounts SET balance = ?, version = version + 1, updated_at = ? WHERE id = ?',
      balanceAfter,
      now,
      accountId,
    );
  }
}
