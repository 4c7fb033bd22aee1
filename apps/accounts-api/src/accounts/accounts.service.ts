import { ConflictException, HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import { assertIfMatch } from '../common/http/etag';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page, type PageQuery } from '../common/http/pagination';
import { IdempotencyService, type WriteResult } from '../idempotency/idempotency.service';
import { Database } from '../store/database';
import { toAccount, type Account, type AccountRow, type AccountSummary } from './account';
import type { CreateAccountDto } from './dto/create-account.dto';

const COLUMNS = 'id, name, balance, opening_balance, overdraft_limit, version, created_at, updated_at, closed_at';

@Injectable()
export class AccountsService {
  constructor(
    private readonly db: Database,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Every open account, ordered by id: the talk's POST / answer. */
  summaries(): AccountSummary[] {
    return this.db.all<AccountSummary>('SELECT id, name, balance FROM accounts WHERE closed_at IS NULL ORDER BY id');
  }

  list(query: PageQuery): Page<Account> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = this.db.all<AccountRow>(
      `SELECT ${COLUMNS} FROM accounts WHERE id > ? ORDER BY id LIMIT ?`,
      decodeCursor(query.cursor),
      limit + 1,
    );
    return toPage(rows, limit, '/accounts', toAccount);
  }

  get(id: number): Account {
    return toAccount(this.findRow(id));
  }

  create(dto: CreateAccountDto, idempotencyKey: string | undefined): WriteResult<Account> {
    return this.db.transaction(() =>
      this.idempotency.run('POST /accounts', idempotencyKey, dto, () => {
        const now = new Date().toISOString();
        const opening = dto.openingBalance ?? 0;
        const { lastInsertRowid } = this.db.execute(
          `INSERT INTO accounts (name, opening_balance, balance, overdraft_limit, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
          dto.name,
          opening,
          opening,
          dto.overdraftLimit ?? 0,
          now,
          now,
        );
        return {
          status: HttpStatus.CREATED,
          location: `/accounts/${lastInsertRowid}`,
          body: this.get(lastInsertRowid),
        };
      }),
    );
  }

  rename(id: number, name: string, ifMatch: string | undefined): Account {
    return this.db.transaction(() => {
      const account = this.findRow(id);
      assertIfMatch(ifMatch, account.version);
      if (account.closed_at !== null) throw new ConflictException(`Account ${id} is closed and cannot be renamed`);
      if (account.name !== name) {
        this.db.execute(
          'UPDATE accounts SET name = ?, version = version + 1, updated_at = ? WHERE id = ?',
          name,
          new Date().toISOString(),
          id,
        );
      }
      return this.get(id);
    });
  }

  /**
   * Closes an account whose balance is zero. Its row and ledger stay, so
   * history still adds up. Closing a closed account succeeds again: DELETE
   * is idempotent, and the proxy may retry it.
   */
  close(id: number, ifMatch: string | undefined): void {
    this.db.transaction(() => {
      const account = this.findRow(id);
      assertIfMatch(ifMatch, account.version);
      if (account.closed_at !== null) return;
      if (account.balance !== 0) {
        throw new ConflictException(
          `Account ${id} has a balance of ${account.balance}; transfer it to zero before closing the account`,
        );
      }
      const now = new Date().toISOString();
      this.db.execute(
        'UPDATE accounts SET closed_at = ?, version = version + 1, updated_at = ? WHERE id = ?',
        now,
        now,
        id,
      );
    });
  }

  /** The account's row, open or closed; 404 when there is none. Transfers use it too. */
  findRow(id: number): AccountRow {
    const row = this.db.get<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = ?`, id);
    if (!row) throw new NotFoundException(`Account ${id} does not exist`);
    return row;
  }
}
