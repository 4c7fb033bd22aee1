import { inspect, useStack } from '../stack';
import { describeLoad, expectExactlyOnce, storedTransfers, verifyLedger } from '../../support/ledger-checks.ts';
import { openAccount, settle, sleep, timedFetch, transferLoad, type FetchOutcome } from '../../support/load.ts';
import { expectErrorShape } from '../../support/raw-http.ts';

const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

const containerOf = (service: string) => stack().compose.getContainer(`${service}-1`).getId();

describe('postgres restarted under write load', () => {
  it('answers 503 with Retry-After while it is down, then writes again with no api restart, losing nothing', async () => {
    const api = stack();
    const { baseUrl } = api;
    const apiId = containerOf('api');
    const before = await inspect('container', apiId);
    const opening = 1_000_000;
    const from = await openAccount(api, 'pg-restart-from', opening);
    const to = await openAccount(api, 'pg-restart-to', 0);

    let stoppedAt = 0;
    let startedAt = 0;
    const whileDown: FetchOutcome[] = [];
    const [load] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 6,
        maxAttempts: 30_000,
        maxDurationMs: 60_000,
        retryDelayMs: 100,
        stop: () => startedAt > 0 && Date.now() > startedAt + 5_000,
      }),
      (async () => {
        await sleep(2_000);
        stoppedAt = Date.now();
        await stack().composeCli(['stop', '--timeout', '10', 'postgres']);
        // Bounded: a handful of probes while the database is away.
        for (let i = 0; i < 5; i++) {
          whileDown.push(await timedFetch(`${baseUrl}/accounts/${from}`, { headers: api.headers }));
          whileDown.push(await timedFetch(`${baseUrl}/health`));
          await sleep(300);
        }
        await stack().composeCli(['start', 'postgres']);
        await stack().composeCli(['up', '--wait', '--no-recreate', 'postgres']);
        startedAt = Date.now();
      })(),
    ]);
    await settle(load, api, from, to);
    const stored = await storedTransfers(api, from, to);
    console.info(`postgres stopped for ${startedAt - stoppedAt} ms: ${describeLoad(load, stored)}`);

    for (const answer of whileDown) {
      expect(answer.status).toBe(503);
      expectErrorShape(answer);
      const message = JSON.parse(answer.body!).message as string;
      if (answer.res?.url.endsWith('/health')) {
        expect(message).toMatch(/^Not ready: store is down \(The accounts store is unavailable/);
      } else {
        expect(message).toMatch(/^The accounts store is unavailable \(.+\); retry shortly$/);
        expect(answer.res?.headers.get('retry-after')).toBe('1');
      }
    }
    const failedWrites = load.attempts.filter((a) => a.status !== 201);
    expect(failedWrites.length).toBeGreaterThan(0);
    expect(new Set(failedWrites.map((a) => a.status))).toEqual(new Set([503]));
    expect(load.attempts.filter((a) => a.startedAt > startedAt && a.status === 201).length).toBeGreaterThan(0);
    expectExactlyOnce(load, stored, opening);
    expect(await verifyLedger(apiId)).toMatch(/^ledger ok: /);

    const after = await inspect('container', apiId);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.RestartCount).toBe(0);

    // start-postgres.sh waits for the server with a probe that pg_hba admits,
    // so neither start, the first or this one, logged a refused connection.
    const postgresLog = await stack().composeCli(['logs', '--no-log-prefix', 'postgres']);
    expect(postgresLog).toMatch(/roles accounts_owner and accounts_api are up to date; ready[\s\S]*up to date; ready/);
    expect(postgresLog).not.toMatch(/pg_hba\.conf rejects connection/);
  }, 150_000);
});
