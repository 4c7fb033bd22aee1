import { Logger } from '@nestjs/common';
import { RecordingMetrics } from '../../test/support/metrics';
import { STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import type { Store } from '../store/store';
import { IdempotencyKeyReusedError } from './idempotency.errors';
import { canonicalJson, fingerprint, IdempotencyService } from './idempotency.service';

describe('canonicalJson', () => {
  it('canonicalises nested objects but keeps array order', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":[2,1]}');
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });

  it('sorts any number of keys, and keeps nulls and arrays of objects', () => {
    expect(canonicalJson({ e: 5, d: 4, c: 3, b: 2, a: 1, f: 6 })).toBe('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}');
    expect(canonicalJson({ b: null, a: [{ y: 1, x: null }] })).toBe('{"a":[{"x":null,"y":1}],"b":null}');
    expect(canonicalJson(null)).toBe('null');
    expect(fingerprint({ name: 'amy', openingBalance: 5 })).toBe(fingerprint({ openingBalance: 5, name: 'amy' }));
    expect(fingerprint({ name: 'amy', openingBalance: 5 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe.each(STORE_DIALECTS)('IdempotencyService on %s', (dialect) => {
  let temp: TempStore;
  let writes: number;
  let metrics: RecordingMetrics;
  const TTL_SECONDS = 60;
  const serviceOn = (store: Store) =>
    new IdempotencyService(store, { ...storeConfigFor(temp.url), idempotencyKeyTtlSeconds: TTL_SECONDS }, metrics);
  const write = async (): Promise<{ n: number }> => ({ n: ++writes });
  const THINGS = { route: 'POST /things', by: 'ann' };
  const run = (key: string | undefined, request: unknown, store = temp.store, scope = THINGS, work = write) =>
    store.transaction((trx) => serviceOn(store).run(trx, scope, key, request, work));

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    writes = 0;
    metrics = new RecordingMetrics();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await temp.dispose();
  });

  it('writes every time without a key', async () => {
    await run(undefined, { a: 1 });
    await run(undefined, { a: 1 });
    expect(writes).toBe(2);
  });

  it('replays the first answer for the same key and body, whatever the key order', async () => {
    const first = await run('k', { a: 1, b: 2 });
    const again = await run('k', { b: 2, a: 1 });

    expect(writes).toBe(1);
    expect(first).toEqual({ value: { n: 1 }, replayed: false });
    expect(again).toEqual({ value: { n: 1 }, replayed: true });
    expect(metrics.of('idempotentReplay')).toEqual([['POST /things']]);
  });

  it('replays a value that is not an object', async () => {
    const count = () =>
      temp.store.transaction((trx) => serviceOn(temp.store).run(trx, THINGS, 'k', {}, async () => ++writes));
    await count();
    expect(await count()).toEqual({ value: 1, replayed: true });
  });

  it('refuses the same key with a different body and writes nothing', async () => {
    await run('k', { a: 1 });
    const reuse = run('k', { a: 2 });
    await expect(reuse).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(reuse).rejects.toThrow(
      'Idempotency-Key k was already used for a different POST /things request; use a new key for a new request',
    );
    expect(writes).toBe(1);
  });

  it('scopes keys by route: the same key on another route is another request', async () => {
    await run('k', { a: 1 });
    await run('k', { a: 2 }, temp.store, { ...THINGS, route: 'POST /others' });
    expect(writes).toBe(2);
  });

  it("scopes keys by API key: one client's key never replays another client's answer", async () => {
    const first = await run('k', { a: 1 });
    const other = await run('k', { a: 1 }, temp.store, { ...THINGS, by: 'bob' });
    expect(other).toEqual({ value: { n: 2 }, replayed: false });
    expect((await run('k', { a: 1 })).value).toEqual(first.value);
    expect(writes).toBe(2);
  });

  it('stores nothing when the write fails, so the key can be retried', async () => {
    const refused = async (): Promise<never> => {
      throw new Error('refused');
    };
    await expect(run('k', {}, temp.store, THINGS, refused)).rejects.toThrow('refused');
    await run('k', {});
    expect(writes).toBe(1);
  });

  it('forgets a key older than the configured time when it is used again', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-01-01T00:00:00Z'));
    await run('k', { a: 1 });
    now.mockReturnValue(Date.parse('2026-01-01T00:00:59Z'));
    await expect(run('k', { a: 2 })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    now.mockReturnValue(Date.parse('2026-01-01T00:01:01Z'));
    await run('k', { a: 2 });
    expect(writes).toBe(2);
  });

  it('sweeps only the keys past their time', async () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    jest.spyOn(Date, 'now').mockReturnValue(start);
    await run('old', {});
    jest.spyOn(Date, 'now').mockReturnValue(start + 30_000);
    await run('young', {});

    expect(await serviceOn(temp.store).sweep(start + TTL_SECONDS * 1000 + 1)).toBe(1);
    const left = await temp.store.db.selectFrom('idempotency_keys').select('key').execute();
    expect(left).toEqual([{ key: 'young' }]);
  });

  describe('the sweep timer', () => {
    // Only the sweep's interval is faked: the stores' I/O runs on the real clock and queues.
    beforeEach(() =>
      jest.useFakeTimers({
        doNotFake: [
          'Date',
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setTimeout',
          'clearTimeout',
        ],
      }),
    );
    afterEach(() => jest.useRealTimers());

    const keys = async () =>
      (await temp.store.db.selectFrom('idempotency_keys').select('key').execute()).map((row) => row.key);
    const expired = (key: string) =>
      temp.store.db
        .insertInto('idempotency_keys')
        .values({
          scope: 'POST /things by ann',
          key,
          fingerprint: '-',
          body: '{}',
          created_at: 0,
        })
        .execute();
    /** The sweep runs on real I/O after the fake timer fires it. */
    const eventually = async (done: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 100 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    it('sweeps expired keys once a minute from start-up until shutdown', async () => {
      const service = serviceOn(temp.store);
      await expired('old');

      service.onModuleInit();
      jest.advanceTimersByTime(59_999);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await keys()).toEqual(['old']);
      jest.advanceTimersByTime(1);
      await eventually(async () => (await keys()).length === 0);
      expect(await keys()).toEqual([]);

      await expired('later');
      service.onApplicationShutdown();
      jest.advanceTimersByTime(180_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await keys()).toEqual(['later']);
    });

    it('logs a failed sweep as a warning', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const closed = temp.open();
      const service = serviceOn(closed);
      await closed.close();

      service.onModuleInit();
      jest.advanceTimersByTime(60_000);
      await eventually(() => warn.mock.calls.length > 0);
      service.onApplicationShutdown();

      expect(warn).toHaveBeenCalledWith(
        'Sweeping expired Idempotency-Keys failed: StoreUnavailableError: The accounts store is closed; retry shortly',
      );
    });
  });

  // SQLite replicas are separate processes that take turns for the file's write
  // lock (BEGIN IMMEDIATE); node:sqlite waits for it synchronously, so two
  // connections in this one process cannot race. PostgreSQL's can.
  if (dialect === 'postgres') {
    it('applies once when two replicas get the same key at the same moment; the other replays', async () => {
      const other = temp.open(5_000);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const slowWrite = async () => {
        entered();
        await gate;
        return write();
      };

      const first = run('race', { a: 1 }, temp.store, THINGS, slowWrite);
      await inside;
      const second = run('race', { a: 1 }, other);
      // The second now waits at its insert of the key, behind the first's uncommitted claim.
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();

      const answers = await Promise.all([first, second]);
      expect(writes).toBe(1);
      expect(answers.map((answer) => answer.replayed)).toEqual([false, true]);
      expect(answers[1].value).toEqual(answers[0].value);
    });
  }
});
