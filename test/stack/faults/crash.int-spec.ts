import { docker, inspect, useStack, waitHealthy } from '../stack';
import {
  describeLoad,
  expectExactlyOnce,
  integrityCheck,
  storedTransfers,
  verifyLedger,
} from '../../support/ledger-checks.ts';
import { openAccount, settle, sleep, transferLoad } from '../../support/load.ts';

const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

describe('the api killed with SIGKILL under write load', () => {
  it('keeps every acknowledged write after the restart, and applies none twice', async () => {
    const api = stack();
    const apiId = stack().compose.getContainer('api-1').getId();
    const opening = 1_000_000;
    const from = await openAccount(api, 'crash-from', opening);
    const to = await openAccount(api, 'crash-to', 0);

    let backAt = 0;
    let killedAt = 0;
    const [load] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 8,
        maxAttempts: 30_000,
        maxDurationMs: 45_000,
        retryDelayMs: 100,
        stop: () => backAt > 0 && Date.now() > backAt + 3_000,
      }),
      (async () => {
        await sleep(2_000);
        killedAt = Date.now();
        // No graceful shutdown: whatever the store had not committed is gone.
        // `docker kill` counts as a deliberate stop, so the restart policy
        // does not apply; start it again as a supervisor would.
        await docker(['kill', '--signal', 'KILL', apiId]);
        expect((await inspect('container', apiId)).State.ExitCode).toBe(137);
        await docker(['start', apiId]);
        await waitHealthy(apiId);
        backAt = Date.now();
      })(),
    ]);
    await settle(load, api, from, to);
    const stored = await storedTransfers(api, from, to);
    console.info(`api SIGKILL (down ${backAt - killedAt} ms): ${describeLoad(load, stored)}`);

    expect(load.attempts.filter((a) => a.startedAt < killedAt && a.status === 201).length).toBeGreaterThan(0);
    expect(load.attempts.filter((a) => a.startedAt > backAt && a.status === 201).length).toBeGreaterThan(0);
    expectExactlyOnce(load, stored, opening);
    // PostgreSQL's own crash safety is the server's: the api's death cannot tear its files.
    if (stack().store === 'sqlite') expect(await integrityCheck(apiId)).toBe('ok');
    expect(await verifyLedger(apiId)).toMatch(/^ledger ok: /);
  }, 120_000);
});
