import { tempStore } from '../../test/support/temp-store';
import { importSeed, seedDigest } from './seed-import';

const SEED = [
  { id: 1, name: 'joe', balance: 10 },
  { id: 2, name: 'bob', balance: -1 },
  { id: 3, name: 'fred', balance: 40 },
];
const accounts = (db: ReturnType<typeof tempStore>['db']) =>
  db.all('SELECT id, name, balance, opening_balance FROM accounts ORDER BY id');

describe('importSeed', () => {
  let store: ReturnType<typeof tempStore>;
  beforeEach(() => (store = tempStore()));
  afterEach(() => store.dispose());

  it('imports an empty store once, negative balances included', () => {
    expect(importSeed(store.db, 'seed.json', SEED)).toMatchObject({ kind: 'imported', accounts: 3 });
    expect(importSeed(store.db, 'seed.json', SEED)).toMatchObject({ kind: 'unchanged' });
    expect(accounts(store.db)).toEqual([
      { id: 1, name: 'joe', balance: 10, opening_balance: 10 },
      { id: 2, name: 'bob', balance: -1, opening_balance: -1 },
      { id: 3, name: 'fred', balance: 40, opening_balance: 40 },
    ]);
  });

  it('keeps the live data and reports when the seed has changed since it was imported', () => {
    importSeed(store.db, 'seed.json', SEED);
    const changed = [...SEED, { id: 4, name: 'amy', balance: 5 }];

    expect(importSeed(store.db, 'seed.json', changed)).toMatchObject({ kind: 'differs', sha256: seedDigest(changed) });
    expect(accounts(store.db)).toHaveLength(3);
  });

  it('treats a reordered seed as the same seed', () => {
    expect(seedDigest([...SEED].reverse())).toBe(seedDigest(SEED));
    expect(seedDigest([{ ...SEED[0], balance: 11 }, SEED[1], SEED[2]])).not.toBe(seedDigest(SEED));
  });

  it('replaces accounts, transfers, ledger and keys when asked to', () => {
    importSeed(store.db, 'seed.json', SEED);
    store.db.execute("INSERT INTO transfers (from_id, to_id, amount, created_at) VALUES (1, 3, 5, 'now')");
    store.db.execute(
      "INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, created_at) VALUES (1, 1, -5, 5, 'now')",
    );

    expect(importSeed(store.db, 'seed.json', SEED.slice(0, 1), { replace: true })).toMatchObject({ kind: 'imported' });
    expect(accounts(store.db)).toEqual([{ id: 1, name: 'joe', balance: 10, opening_balance: 10 }]);
    expect(store.db.all('SELECT * FROM transfers')).toEqual([]);
    expect(store.db.all('SELECT * FROM ledger_entries')).toEqual([]);
  });
});
