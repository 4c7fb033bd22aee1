import { STORE_DIALECTS, tempStore, type TempStore } from '../../test/support/stores';
import { checkLedger } from '../ledger/ledger-check';
import { importSeed, seedDigest, storeIsEmpty } from './seed-import';

const SEED = [
  { id: 1, name: 'joe', balance: 10 },
  { id: 2, name: 'bob', balance: -1 },
  { id: 3, name: 'fred', balance: 40 },
];

describe('seedDigest', () => {
  it('treats a reordered seed as the same seed, and a changed balance as another', () => {
    expect(seedDigest([...SEED].reverse())).toBe(seedDigest(SEED));
    expect(seedDigest([{ ...SEED[0], balance: 11 }, SEED[1], SEED[2]])).not.toBe(seedDigest(SEED));
    expect(seedDigest([{ ...SEED[0], name: 'jo' }, SEED[1], SEED[2]])).not.toBe(seedDigest(SEED));
  });
});

describe.each(STORE_DIALECTS)('importSeed on %s', (dialect) => {
  let temp: TempStore;
  beforeEach(async () => (temp = await tempStore(dialect)));
  afterEach(() => temp.dispose());

  /** The customer accounts: the issuance account (id 0) is in every store. */
  const accounts = () =>
    temp.store.db
      .selectFrom('accounts')
      .select(['id', 'name', 'balance', 'opening_balance'])
      .where('id', '>', 0)
      .orderBy('id')
      .execute();
  const ledger = async () => {
    const report = await checkLedger(temp.store);
    return { transfers: report.transfers, issued: report.issued, discrepancies: report.discrepancies };
  };

  it('imports an empty store once, negative balances included', async () => {
    expect(await storeIsEmpty(temp.store.db)).toBe(true);
    expect(await importSeed(temp.store, 'seed.json', SEED)).toMatchObject({ kind: 'imported', accounts: 3 });
    expect(await importSeed(temp.store, 'seed.json', SEED)).toEqual({ kind: 'unchanged', sha256: seedDigest(SEED) });
    expect(await storeIsEmpty(temp.store.db)).toBe(false);
    // Each balance issued, into the account or (bob's) out of it: one transfer each.
    expect(await ledger()).toEqual({ transfers: 3, issued: 49, discrepancies: [] });
    expect(
      await temp.store.db
        .selectFrom('transfers')
        .select(['from_id', 'to_id', 'amount', 'created_by'])
        .orderBy('to_id')
        .execute(),
    ).toEqual([
      { from_id: 2, to_id: 0, amount: 1, created_by: 'seed' },
      { from_id: 0, to_id: 1, amount: 10, created_by: 'seed' },
      { from_id: 0, to_id: 3, amount: 40, created_by: 'seed' },
    ]);
    expect(await accounts()).toEqual([
      { id: 1, name: 'joe', balance: 10, opening_balance: 10 },
      { id: 2, name: 'bob', balance: -1, opening_balance: -1 },
      { id: 3, name: 'fred', balance: 40, opening_balance: 40 },
    ]);
  });

  it('keeps the live data and reports when the seed has changed since it was imported', async () => {
    await importSeed(temp.store, 'seed.json', SEED);
    const changed = [...SEED, { id: 4, name: 'amy', balance: 5 }];

    expect(await importSeed(temp.store, 'seed.json', changed)).toMatchObject({
      kind: 'differs',
      sha256: seedDigest(changed),
      importedSha256: seedDigest(SEED),
    });
    expect(await accounts()).toHaveLength(3);
  });

  it('counts a store whose seed had no accounts as imported, not empty', async () => {
    expect(await importSeed(temp.store, 'seed.json', [])).toMatchObject({ kind: 'imported', accounts: 0 });
    expect(await storeIsEmpty(temp.store.db)).toBe(false);
  });

  it('keeps a store that has accounts but no seed import, as unchanged', async () => {
    const now = new Date().toISOString();
    await temp.store.db
      .insertInto('accounts')
      .values({ name: 'made by hand', opening_balance: 0, balance: 0, created_at: now, updated_at: now })
      .execute();

    expect(await storeIsEmpty(temp.store.db)).toBe(false);
    expect(await importSeed(temp.store, 'seed.json', SEED)).toEqual({ kind: 'unchanged', sha256: seedDigest(SEED) });
    expect(await accounts()).toEqual([{ id: 1, name: 'made by hand', balance: 0, opening_balance: 0 }]);
  });

  it('imports a seed too large for one statement, every account once', async () => {
    const large = Array.from({ length: 2_500 }, (_, i) => ({ id: i + 1, name: `a${i + 1}`, balance: i }));

    expect(await importSeed(temp.store, 'large.json', large)).toMatchObject({ kind: 'imported', accounts: 2_500 });
    const rows = await accounts();
    expect(rows).toHaveLength(2_500);
    expect(rows[2_499]).toEqual({ id: 2_500, name: 'a2500', balance: 2_499, opening_balance: 2_499 });
    // a1 has nothing to issue.
    expect(await ledger()).toEqual({ transfers: 2_499, issued: (2_499 * 2_500) / 2, discrepancies: [] });
  });

  // SQLite replicas are processes that queue for the file's write lock (see
  // store.contract.spec.ts); PostgreSQL connections in one process can race.
  if (dialect === 'postgres') {
    it('imports once when two replicas start on an empty store at the same moment', async () => {
      const large = Array.from({ length: 2_500 }, (_, i) => ({ id: i + 1, name: `a${i + 1}`, balance: i }));
      const replicas = [temp.open(5_000), temp.open(5_000)];

      const outcomes = await Promise.all(replicas.map((replica) => importSeed(replica, 'large.json', large)));

      expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['imported', 'unchanged']);
      expect(await accounts()).toHaveLength(2_500);
    });
  }

  it('replaces accounts, transfers, ledger and keys when asked to, and numbers new rows after the seed', async () => {
    await importSeed(temp.store, 'seed.json', SEED);
    const now = new Date().toISOString();
    const { id: transferId } = await temp.store.db
      .insertInto('transfers')
      .values({ from_id: 1, to_id: 3, amount: 5, created_at: now, created_by: 'tester' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await temp.store.db
      .insertInto('ledger_entries')
      .values({
        account_id: 1,
        transfer_id: transferId,
        amount: -5,
        balance_after: 5,
        created_at: now,
        created_by: 'tester',
      })
      .execute();

    expect(await importSeed(temp.store, 'seed.json', SEED.slice(0, 1), { replace: true })).toMatchObject({
      kind: 'imported',
    });
    expect(await accounts()).toEqual([{ id: 1, name: 'joe', balance: 10, opening_balance: 10 }]);
    expect(await temp.store.db.selectFrom('transfers').select(['from_id', 'to_id', 'amount']).execute()).toEqual([
      { from_id: 0, to_id: 1, amount: 10 },
    ]);
    expect(await ledger()).toEqual({ transfers: 1, issued: 10, discrepancies: [] });

    const { id } = await temp.store.db
      .insertInto('accounts')
      .values({ name: 'new', opening_balance: 0, balance: 0, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(id).toBe(2);
  });
});
