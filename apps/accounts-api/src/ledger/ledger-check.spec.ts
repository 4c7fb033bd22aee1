import { STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { AccountsCache } from '../accounts/accounts.cache';
import { AccountsService } from '../accounts/accounts.service';
import type { KeyActor } from '../auth/actor.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { NO_METRICS } from '../metrics/metrics';
import { importSeed, storeIsEmpty } from '../seed/seed-import';
import { MIGRATED_OPENING_ACTOR } from '../store/migrations/006-issuance-account';
import { MIGRATIONS, migrateToLatest } from '../store/migrations/migrator';
import { TransfersService } from '../transfers/transfers.service';
import { checkLedger, describeLedger } from './ledger-check';

const ADMIN: KeyActor = { name: 'ops', requestId: null, scope: 'admin' };

describe.each(STORE_DIALECTS)('checkLedger on %s', (dialect) => {
  let temp: TempStore;
  let transfers: TransfersService;

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    const idempotency = new IdempotencyService(temp.store, storeConfigFor(temp.url), NO_METRICS);
    const accounts = new AccountsService(
      temp.store,
      idempotency,
      new AccountsCache(temp.store, NO_METRICS),
      NO_METRICS,
    );
    transfers = new TransfersService(temp.store, accounts, idempotency, NO_METRICS);
    await importSeed(temp.store, 'seed.json', [
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 40 },
    ]);
    await accounts.create({ name: 'amy', openingBalance: 5 }, undefined, ADMIN);
    for (const [from, to, amount] of [
      [1, 4, 3],
      [3, 2, 7],
      [4, 1, 8],
      [3, 4, 1],
    ]) {
      await transfers.create({ from, to, amount }, undefined, ADMIN);
    }
  });
  afterEach(() => temp.dispose());

  const problems = async () => (await checkLedger(temp.store)).discrepancies;

  it('passes a ledger that transfers kept, and adds it up in one line', async () => {
    const report = await checkLedger(temp.store);

    expect(report).toEqual({ accounts: 5, transfers: 8, entries: 16, issued: 54, sum: 0, discrepancies: [] });
    expect(describeLedger(report)).toEqual([
      'ledger ok: 5 accounts, 8 transfers, 16 entries; the balances sum to zero, 54 issued',
    ]);
  });

  it('finds a balance changed beside the ledger, and the money it made', async () => {
    await temp.store.db.updateTable('accounts').set({ balance: 1_000 }).where('id', '=', 2).execute();

    expect(await problems()).toEqual([
      'account 2: balance 1000, but its entries sum to 6',
      'the balances sum to 994, not zero: money appeared or vanished outside the ledger',
    ]);
    expect(describeLedger(await checkLedger(temp.store))).toHaveLength(2);
  });

  it('finds a lost ledger entry: the account, the running balances after it, and the transfer left with one side', async () => {
    const [lost] = await temp.store.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('transfer_id', '=', 5)
      .where('account_id', '=', 1)
      .execute();
    await temp.store.db.deleteFrom('ledger_entries').where('id', '=', lost.id).execute();

    expect(await problems()).toEqual([
      'account 1: balance 15, but its entries sum to 18',
      expect.stringMatching(
        /^ledger entry \d+ of account 1: balance after 15, but the entries before it and it make 18$/,
      ),
      'transfer 5 of 3: 1 ledger entries, not one debit of its source and one credit of its destination',
    ]);
  });

  it('finds an entry whose amount was changed, even when the two sides still sum to zero elsewhere', async () => {
    await temp.store.db
      .updateTable('ledger_entries')
      .set({ amount: -4 })
      .where('transfer_id', '=', 6)
      .where('account_id', '=', 3)
      .execute();

    expect(await problems()).toEqual(
      expect.arrayContaining([
        'transfer 6 of 7: 2 ledger entries, not one debit of its source and one credit of its destination',
        expect.stringMatching(/^account 3: balance 32, but its entries sum to 35$/),
      ]),
    );
  });
});

describe.each(STORE_DIALECTS)('migration 006 on a %s store the previous release made', (dialect) => {
  let temp: TempStore;
  beforeEach(async () => (temp = await tempStore(dialect, { migrate: false })));
  afterEach(() => temp.dispose());

  it('issues each opening balance from the issuance account, keeps every balance, and leaves a ledger that checks', async () => {
    const db = temp.store.db;
    await migrateToLatest(
      db,
      dialect,
      'old',
      Object.fromEntries(Object.entries(MIGRATIONS).filter(([n]) => n < '006')),
    );
    // What 0.2's api wrote: opening balances beside the ledger, and two transfers since.
    const opened = '2026-01-01T00:00:00.000Z';
    const later = '2026-02-01T00:00:00.000Z';
    await db
      .insertInto('accounts')
      .values(
        [
          [1, 'joe', 10, 20],
          [2, 'bob', -1, -1],
          [3, 'fred', 40, 25],
          [4, 'amy', 0, 5],
        ].map(([id, name, opening, balance]) => ({
          id: id as number,
          name: name as string,
          opening_balance: opening as number,
          balance: balance as number,
          created_at: opened,
          updated_at: later,
        })),
      )
      .execute();
    for (const [from, to, amount, fromAfter, toAfter] of [
      [3, 1, 15, 25, 25],
      [1, 4, 5, 20, 5],
    ]) {
      const { id } = await db
        .insertInto('transfers')
        .values({ from_id: from, to_id: to, amount, created_at: later, created_by: 'ops' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const entry = { transfer_id: id, created_at: later, created_by: 'ops' };
      await db
        .insertInto('ledger_entries')
        .values([
          { ...entry, account_id: from, amount: -amount, balance_after: fromAfter },
          { ...entry, account_id: to, amount, balance_after: toAfter },
        ])
        .execute();
    }

    await migrateToLatest(db, dialect, 'old', MIGRATIONS);

    const balances = await db.selectFrom('accounts').select(['id', 'name', 'balance']).orderBy('id').execute();
    expect(balances).toEqual([
      { id: 0, name: 'issuance', balance: -49 },
      { id: 1, name: 'joe', balance: 20 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 25 },
      { id: 4, name: 'amy', balance: 5 },
    ]);
    const issuances = await db
      .selectFrom('transfers')
      .select(['from_id', 'to_id', 'amount', 'created_by'])
      .where('id', '>', 2)
      .orderBy('amount')
      .execute();
    expect(issuances).toEqual([
      { from_id: 2, to_id: 0, amount: 1, created_by: MIGRATED_OPENING_ACTOR },
      { from_id: 0, to_id: 1, amount: 10, created_by: MIGRATED_OPENING_ACTOR },
      { from_id: 0, to_id: 3, amount: 40, created_by: MIGRATED_OPENING_ACTOR },
    ]);
    expect(await checkLedger(temp.store)).toEqual({
      accounts: 5,
      transfers: 5,
      entries: 10,
      issued: 49,
      sum: 0,
      discrepancies: [],
    });
  });

  it('leaves an empty store with the issuance account alone, which no seed check counts as an account', async () => {
    await temp.store.migrate();

    expect(await storeIsEmpty(temp.store.db)).toBe(true);
    expect(await checkLedger(temp.store)).toMatchObject({
      accounts: 1,
      transfers: 0,
      issued: 0,
      sum: 0,
      discrepancies: [],
    });
  });
});
