import { RecordingMetrics } from '../../test/support/metrics';
import { STORE_DIALECTS, tempStore, type TempStore } from '../../test/support/stores';
import { NO_METRICS } from '../metrics/metrics';
import type { Store } from '../store/store';
import { AccountsCache } from './accounts.cache';

const NOW = new Date().toISOString();

describe.each(STORE_DIALECTS)('AccountsCache on %s', (dialect) => {
  let temp: TempStore;
  let cache: AccountsCache;
  let metrics: RecordingMetrics;
  beforeEach(async () => {
    temp = await tempStore(dialect);
    metrics = new RecordingMetrics();
    cache = new AccountsCache(temp.store, metrics);
  });
  afterEach(() => temp.dispose());

  const names = (store: Store) => () =>
    store.db
      .selectFrom('accounts')
      .select('name')
      .where('id', '>', 0)
      .orderBy('id')
      .execute()
      .then((rows) => rows.map((r) => r.name));
  const open = (store: Store, name: string) =>
    store.db
      .insertInto('accounts')
      .values({ name, opening_balance: 0, balance: 0, created_at: NOW, updated_at: NOW })
      .execute();

  it('answers from memory while the accounts are unchanged', async () => {
    await open(temp.store, 'amy');
    const load = jest.fn(names(temp.store));

    const first = await cache.get('names', load);
    const second = await cache.get('names', load);

    expect(second).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    expect(await cache.get('other', async () => 'another key, loaded apart')).toBe('another key, loaded apart');
    expect(metrics.of('cacheLookup')).toEqual([['miss'], ['hit'], ['miss']]);
  });

  it('loads again after a write on this replica', async () => {
    await open(temp.store, 'amy');
    expect(await cache.get('names', names(temp.store))).toEqual(['amy']);

    await open(temp.store, 'bea');

    expect(await cache.get('names', names(temp.store))).toEqual(['amy', 'bea']);
  });

  it("sees another replica's write on its next read", async () => {
    const other = temp.open();
    await open(temp.store, 'amy');
    expect(await cache.get('names', names(temp.store))).toEqual(['amy']);

    await open(other, 'bea');
    expect(await cache.get('names', names(temp.store))).toEqual(['amy', 'bea']);

    await other.db.updateTable('accounts').set({ name: 'cal' }).where('name', '=', 'amy').execute();
    expect(await cache.get('names', names(temp.store))).toEqual(['cal', 'bea']);
  });

  it('keeps nothing that failed to load', async () => {
    await expect(cache.get('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(await cache.get('x', async () => 'loaded')).toBe('loaded');
  });
});

describe('AccountsCache', () => {
  /** A store whose version is whatever the spec says. */
  const storeAt = (versions: string[]) => ({ accountsVersion: jest.fn(async () => versions[0]) }) as unknown as Store;

  it('does not keep an answer under a version that a newer one replaced while it loaded', async () => {
    const versions = ['1'];
    const cache = new AccountsCache(storeAt(versions), NO_METRICS);
    let finish!: (value: string) => void;
    const slow = cache.get('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await Promise.resolve();
    versions[0] = '2';
    expect(await cache.get('other', async () => 'at 2')).toBe('at 2');
    finish('at 1');
    await slow;

    expect(await cache.get('k', async () => 'reloaded at 2')).toBe('reloaded at 2');
  });

  it('stops keeping new answers at 10,000 entries, and starts again once the version moves', async () => {
    const versions = ['1'];
    const cache = new AccountsCache(storeAt(versions), NO_METRICS);
    for (let i = 0; i < 10_000; i += 1) await cache.get(`k${i}`, async () => i);

    expect(await cache.get('k0', async () => -1)).toBe(0);
    await cache.get('full', async () => 'not kept');
    expect(await cache.get('full', async () => 'loaded again')).toBe('loaded again');
    versions[0] = '2';
    await cache.get('full', async () => 'kept');
    expect(await cache.get('full', async () => 'not loaded')).toBe('kept');
  });
});
