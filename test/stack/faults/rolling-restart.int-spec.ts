import { randomUUID } from 'node:crypto';
import { docker, proxyErrors, useStack } from '../stack';
import { describeLoad, expectExactlyOnce, storedTransfers, verifyLedger } from '../../support/ledger-checks.ts';
import { loadLoop, openAccount, settle, sleep, timedFetch, transferLoad } from '../../support/load.ts';

const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

const REPLICAS = 2;
/** nginx re-resolves `api` every 5 s (nginx.conf); a little more and it has seen a change. */
const DNS_REFRESH_MS = 6_000;

const apiReplicas = async () => (await stack().composeCli(['ps', '--quiet', 'api'])).split('\n').filter(Boolean).sort();
const scaleApi = () => stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', `api=${REPLICAS}`]);

describe('a rolling replacement of the api replicas under load', () => {
  it('fails no request, read or write, and applies every write exactly once', async () => {
    const api = stack();
    const { baseUrl } = api;
    await scaleApi();
    await sleep(DNS_REFRESH_MS);
    const original = await apiReplicas();
    expect(original).toHaveLength(REPLICAS);
    const opening = 1_000_000;
    const from = await openAccount(api, 'rolling-from', opening);
    const to = await openAccount(api, 'rolling-to', 0);

    let rolled = false;
    const [writes, reads] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 3,
        maxAttempts: 60_000,
        maxDurationMs: 80_000,
        stop: () => rolled,
      }),
      loadLoop({
        concurrency: 2,
        maxRequests: 60_000,
        maxDurationMs: 80_000,
        stop: () => rolled,
        send: () => timedFetch(`${baseUrl}/accounts/${from}`, { headers: api.headers }),
      }),
      (async () => {
        // One replica at a time: stop it (SIGTERM: it drains, then requests
        // in flight finish), remove it, let compose create its replacement,
        // and give nginx time to see the new address before the next one.
        for (const id of original) {
          await docker(['stop', '--time', '10', id]);
          await docker(['rm', id]);
          await scaleApi();
          await sleep(DNS_REFRESH_MS);
        }
        rolled = true;
      })(),
    ]);
    await settle(writes, api, from, to);
    const stored = await storedTransfers(api, from, to);
    const failedReads = reads.filter((r) => r.status !== 200);
    console.info(
      `rolling replacement of ${REPLICAS} replicas: reads sent ${reads.length}, failed ${failedReads.length}` +
        `${failedReads.length ? ` (${[...new Set(failedReads.map((r) => r.error ?? r.status))].join(', ')})` : ''}; ` +
        `writes ${describeLoad(writes, stored)}`,
    );

    const failedWrites = writes.attempts.filter((a) => a.status !== 201);
    if (failedReads.length + failedWrites.length > 0) {
      console.info(await proxyErrors(stack()));
    }
    const replacements = await apiReplicas();
    expect(replacements).toHaveLength(REPLICAS);
    expect(replacements.filter((id) => original.some((old) => old.startsWith(id) || id.startsWith(old)))).toEqual([]);
    expect(reads.length).toBeGreaterThan(100);
    expect(failedReads.map(({ status, error }) => ({ status, error }))).toEqual([]);
    expect(failedWrites.map(({ status, error }) => ({ status, error }))).toEqual([]);
    expectExactlyOnce(writes, stored, opening);
    expect(await verifyLedger(replacements[0])).toMatch(/^ledger ok: /);
  }, 150_000);

  it('passes a keyed write caught on a replica that dies to another replica, and never sends an unkeyed one twice', async () => {
    const api = stack();
    await scaleApi();
    await sleep(DNS_REFRESH_MS);
    const [doomed] = await apiReplicas();
    const from = await openAccount(api, 'caught-from', 1_000);
    const to = await openAccount(api, 'caught-to', 0);
    const transfer = (key?: string) =>
      timedFetch(
        `${api.baseUrl}/transfers`,
        {
          method: 'POST',
          headers: { ...api.headers, 'Content-Type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
          body: JSON.stringify({ from, to, amount: 1 }),
        },
        15_000,
      );

    // A paused replica's kernel still accepts connections and the requests
    // written on them, and answers none; killed, it resets them all. The
    // requests go out one at a time, so that nginx's round robin puts every
    // other one on the paused replica, keyed and unkeyed alike.
    await docker(['pause', doomed]);
    const HELD_MS = 1_000;
    const keyed = [];
    const unkeyed = [];
    for (let i = 0; i < 6; i++) {
      keyed.push(transfer(randomUUID()));
      await sleep(50);
    }
    for (let i = 0; i < 6; i++) {
      unkeyed.push(transfer());
      await sleep(50);
    }
    await sleep(HELD_MS);
    await docker(['kill', doomed]);
    const keyedAnswers = await Promise.all(keyed);
    const unkeyedAnswers = await Promise.all(unkeyed);
    const unkeyedApplied = unkeyedAnswers.filter((a) => a.status === 201).length;
    const stored = await storedTransfers(api, from, to);
    console.info(
      `keyed writes: ${keyedAnswers.map((a) => `${a.status} in ${a.endedAt - a.startedAt} ms`).join(', ')}; ` +
        `unkeyed: ${unkeyedAnswers.map((a) => a.status).join(', ')}\n${await proxyErrors(api)}`,
    );

    expect(keyedAnswers.map((a) => a.status)).toEqual(keyed.map(() => 201));
    // Those held on the paused replica were answered by the other one once it died.
    expect(keyedAnswers.filter((a) => a.endedAt - a.startedAt >= HELD_MS).length).toBeGreaterThan(0);
    expect(new Set(unkeyedAnswers.map((a) => a.status))).toEqual(new Set([201, 502]));
    expect(stored.toTransferIds).toHaveLength(keyed.length + unkeyedApplied);
    expect(stored.toBalance).toBe(keyed.length + unkeyedApplied);
    expect(stored.fromBalance).toBe(1_000 - keyed.length - unkeyedApplied);
  }, 60_000);
});
