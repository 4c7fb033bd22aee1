import { Injectable } from '@nestjs/common';
import { etagOf, ifMatchAllows } from '../common/http/etag';
import { DEFAULT_PAGE_SIZE, type PageQuery } from '../common/http/page-query.dto';
import { decodeCursor, sliceOf, type Slice } from '../common/paging/keyset';
import { recordAudit, type Actor } from '../audit/audit-trail';
import type { KeyActor } from '../auth/actor.decorator';
import { IdempotencyService, type Written } from '../idempotency/idempotency.service';
import { Metrics } from '../metrics/metrics';
import { Store, type Executor } from '../store/store';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';
import type { AccountRow } from './account';
import { postTransfer } from './postings';
import { toAccount } from './account.mapper';
import type { Account, AccountSummary } from './dto/account.dto';
import { AccountsCache } from './accounts.cache';
import { closeRefusal, openingRefusal, renameRefusal, type AccountState } from './account-rules';
import { AccountNotFoundError, StaleVersionError } from './accounts.errors';
import type { CreateAccountDto } from './dto/create-account.dto';

const COLUMNS = [
  'id',
  'name',
  'balance',
  'opening_balance',
  'overdraft_limit',
  'version',
  'created_at',
  'updated_at',
  'closed_at',
  'created_by',
  'updated_by',
] as const;

const stateOf = (row: AccountRow): AccountState => ({
  id: row.id,
  balance: row.balance,
  closed: row.closed_at !== null,
});

@Injectable()
export class AccountsService {
  constructor(
    private readonly store: Store,
    private readonly idempotency: IdempotencyService,
    private readonly cache: AccountsCache,
    private readonly metrics: Metrics,
  ) {}

  /** Every open account, ordered by id: the talk's POST / answer, kept while the accounts are unchanged. */
  summaries(): Promise<readonly AccountSummary[]> {
    // Stryker disable next-line StringLiteral: any key that no account's key equals will do
    return this.cache.get('summaries', () =>
      this.store.db
        .selectFrom('accounts')
        .select(['id', 'name', 'balance'])
        .where('id', '<>', ISSUANCE_ACCOUNT_ID)
        .where('closed_at', 'is', null)
        .orderBy('id')
        .execute(),
    );
  }

  async list(query: PageQuery): Promise<Slice<Account>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.store.db
      .selectFrom('accounts')
      .select(COLUMNS)
      .where('id', '>', decodeCursor(query.cursor))
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return sliceOf(rows, limit, toAccount);
  }

  /** One account, open or closed, kept while the accounts are unchanged. */
  get(id: number): Promise<Account> {
    return this.cache.get(`account:${id}`, async () => toAccount(await this.findRow(id)));
  }

  /**
   * `by` is who makes the change: its key's name is kept with the row, and
   * each change writes its audit event in the change's own transaction.
   */
  async create(dto: CreateAccountDto, idempotencyKey: string | undefined, by: KeyActor): Promise<Written<Account>> {
    const refusal = openingRefusal(dto, by);
    if (refusal) throw refusal;
    const written = await this.store.transaction((trx) =>
      this.idempotency.run(trx, { route: 'POST /accounts', by: by.name }, idempotencyKey, dto, async () => {
        const now = new Date().toISOString();
        const opening = dto.openingBalance ?? 0;
        const overdraftLimit = dto.overdraftLimit ?? 0;
        const { id } = await trx
          .insertInto('accounts')
          .values({
            name: dto.name,
            opening_balance: opening,
            balance: 0,
            // The opening issuance below bumps it: an account opened with money starts at version 1 all the same.
            version: opening > 0 ? 0 : 1,
            overdraft_limit: overdraftLimit,
            created_at: now,
            updated_at: now,
            created_by: by.name,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recordAudit(trx, by, {
          type: 'account.opened',
          subject: `accounts/${id}`,
          details: { name: dto.name, openingBalance: opening, overdraftLimit },
        });
        if (opening > 0) {
          // An opening balance is issued, like any money: out of the issuance account, with its two entries.
          const issuer = await this.findRow(ISSUANCE_ACCOUNT_ID, trx, { lock: true });
          const transfer = await postTransfer(trx, {
            from: issuer,
            to: { id, balance: 0 },
            amount: opening,
            now,
            by: by.name,
          });
          await recordAudit(trx, by, {
            type: 'money.issued',
            subject: `accounts/${id}`,
            details: { transfer: transfer.id, amount: opening },
          });
        }
        return toAccount(await this.findRow(id, trx));
      }),
    );
    // Counted once committed, and once: a replay issued nothing.
    if (!written.replayed && written.value.openingBalance > 0) this.metrics.issuance(written.value.openingBalance);
    return written;
  }

  rename(id: number, name: string, ifMatch: string | undefined, by: Actor): Promise<Account> {
    return this.store.transaction(async (trx) => {
      const account = await this.findRow(id, trx, { lock: true });
      this.assertIfMatch(ifMatch, account.version);
      const refusal = renameRefusal(stateOf(account));
      if (refusal) throw refusal;
      if (account.name === name) return toAccount(account);
      await trx
        .updateTable('accounts')
        .set((eb) => ({
          name,
          version: eb('version', '+', 1),
          updated_at: new Date().toISOString(),
          updated_by: by.name,
        }))
        .where('id', '=', id)
        .execute();
      await recordAudit(trx, by, {
        type: 'account.renamed',
        subject: `accounts/${id}`,
        details: { from: account.name, to: name },
      });
      return toAccount(await this.findRow(id, trx));
    });
  }

  /**
   * Closes an account whose balance is zero. Its row and ledger stay, so
   * history still adds up. Closing a closed account succeeds again: DELETE
   * is idempotent, and the proxy may retry it.
   */
  close(id: number, ifMatch: string | undefined, by: Actor): Promise<void> {
    return this.store.transaction(async (trx) => {
      const account = await this.findRow(id, trx, { lock: true });
      this.assertIfMatch(ifMatch, account.version);
      const refusal = closeRefusal(stateOf(account));
      if (refusal) throw refusal;
      if (account.closed_at !== null) return;
      const now = new Date().toISOString();
      await trx
        .updateTable('accounts')
        .set((eb) => ({ closed_at: now, version: eb('version', '+', 1), updated_at: now, updated_by: by.name }))
        .where('id', '=', id)
        .execute();
      await recordAudit(trx, by, { type: 'account.closed', subject: `accounts/${id}` });
    });
  }

  /**
   * The account's row, open or closed, read through `executor` (a
   * transaction, when given one); with `lock`, held until that transaction
   * ends. Transfers use it too.
   */
  async findRow(id: number, executor: Executor = this.store.db, { lock = false } = {}): Promise<AccountRow> {
    const query = executor.selectFrom('accounts').select(COLUMNS).where('id', '=', id);
    const row = await (lock ? this.store.forUpdate(query) : query).executeTakeFirst();
    if (!row) throw new AccountNotFoundError(id);
    return row;
  }

  /**
   * Both parties of a posting, read and locked in one statement, in id order
   * whichever way the money goes, so that two opposite transfers cannot each
   * hold one account and wait for the other; the first missing id, in that
   * order, is the one reported. One round trip rather than two: a transfer
   * holds these locks until it commits, and every other transfer touching
   * either account waits on them.
   */
  async lockPair(trx: Executor, a: number, b: number): Promise<[AccountRow, AccountRow]> {
    const query = trx.selectFrom('accounts').select(COLUMNS).where('id', 'in', [a, b]).orderBy('id');
    const rows = await this.store.forUpdate(query).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of [a, b].sort((x, y) => x - y)) if (!byId.has(id)) throw new AccountNotFoundError(id);
    return [byId.get(a)!, byId.get(b)!];
  }

  private assertIfMatch(ifMatch: string | undefined, version: number): void {
    if (!ifMatchAllows(ifMatch, version)) throw new StaleVersionError(ifMatch!, etagOf(version));
  }
}
