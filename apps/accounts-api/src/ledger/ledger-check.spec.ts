import { STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { AccountsCache } from '../accounts/accounts.cache';
import { AccountsService } from '../accounts/accounts.service';
import type { KeyActor } from '../auth/actor.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { NO_METRICS } from '../metrics/metrics';
import { importSeed } from '../seed/seed-import';
import { TransfersService } from '../transfers/transfers.service';
import { checkLedger, describeLedger } from './ledger-check';

const ADMIN: KeyActor = { name: 'ops', requestId: null, scope: 'admin' };

describe.each(STORE_DIALECTS)('checkLedger on %s', (dialect) => {
  let temp: TempStore;
  let transfers: TransfersService;

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    const idempotency = new IdempotencyService(temp.store, storeConfigFor(temp.url), NO_METRICS);
    const accounts = new AccountsService(temp.store, idempotency, new AccountsCache(temp.store, NO_METRICS));
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

    expect(report).toEqual({ accounts: 4, transfers: 4, entries: 8, opened: 54, held: 54, discrepancies: [] });
    expect(describeLedger(report)).toEqual([
      'ledger ok: 4 accounts, 4 transfers, 8 entries; the balances sum to 54, as do the opening balances',
    ]);
  });

  it('finds a balance changed beside the ledger, and the money it made', async () => {
    await temp.store.db.updateTable('accounts').set({ balance: 1_000 }).where('id', '=', 2).execute();

    expect(await problems()).toEqual([
      'account 2: balance 1000, but its opening balance -1 plus its entries 7 make 6',
      'the balances sum to 1048, but the opening balances to 54',
    ]);
    expect(describeLedger(await checkLedger(temp.store))).toHaveLength(2);
  });

  it('finds a lost ledger entry: the account, the running balances after it, and the transfer left with one side', async () => {
    const [lost] = await temp.store.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('transfer_id', '=', 1)
      .where('account_id', '=', 1)
      .execute();
    await temp.store.db.deleteFrom('ledger_entries').where('id', '=', lost.id).execute();

    expect(await problems()).toEqual([
      'account 1: balance 15, but its opening balance 10 plus its entries 8 make 18',
      expect.stringMatching(
        /^ledger entry \d+ of account 1: balance after 15, but the entries before it and it make 18$/,
      ),
      'transfer 1 of 3: 1 ledger entries, not one debit of its source and one credit of its destination',
    ]);
  });

  it('finds an entry whose amount was changed, even when the two sides still sum to zero elsewhere', async () => {
    await temp.store.db
      .updateTable('ledger_entries')
      .set({ amount: -4 })
      .where('transfer_id', '=', 2)
      .where('account_id', '=', 3)
      .execute();

    expect(await problems()).toEqual(
      expect.arrayContaining([
        'transfer 2 of 7: 2 ledger entries, not one debit of its source and one credit of its destination',
        expect.stringMatching(/^account 3: balance 32, but its opening balance 40 plus its entries -5 make 35$/),
      ]),
    );
  });
});
