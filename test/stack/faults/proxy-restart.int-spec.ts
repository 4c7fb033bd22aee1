import { docker, useStack, waitHealthy } from '../stack';
import { describeLoad, expectExactlyOnce, storedTransfers, verifyLedger } from '../../support/ledger-checks.ts';
import { openAccount, settle, sleep, transferLoad } from '../../support/load.ts';
import { freePort } from '../../support/raw-http.ts';

const env: Record<string, string> = { PROXY_RATE_LIMIT: 'off' };
// A fixed host port: with PROXY_PORT=0 the engine would pick a new one at the
// restart. Chosen in a hook declared before useStack's, which reads `env` when it starts the stack.
beforeAll(async () => {
  env.PROXY_PORT = String(await freePort());
});
const stack = useStack({ env });

/** Time after `docker restart` returns for nginx to serve again; the rest is recovery. */
const RECOVERY_MS = 5_000;

describe('a proxy restart under load', () => {
  it('fails requests only during the restart, recovers by itself, and neither loses nor doubles a write', async () => {
    const api = stack();
    const proxyId = stack().compose.getContainer('proxy-1').getId();
    const opening = 1_000_000;
    const from = await openAccount(api, 'restart-from', opening);
    const to = await openAccount(api, 'restart-to', 0);

    let restartStartedAt = 0;
    let restartEndedAt = 0;
    const [load] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 4,
        maxAttempts: 30_000,
        maxDurationMs: 30_000,
        stop: () => restartEndedAt > 0 && Date.now() > restartEndedAt + RECOVERY_MS + 2_000,
      }),
      (async () => {
        await sleep(2_000);
        restartStartedAt = Date.now();
        await docker(['restart', '--time', '10', proxyId]);
        restartEndedAt = Date.now();
      })(),
    ]);
    await waitHealthy(proxyId);
    await settle(load, api, from, to);
    const stored = await storedTransfers(api, from, to);

    const failed = load.attempts.filter((a) => a.status !== 201);
    const afterRecovery = load.attempts.filter((a) => a.startedAt > restartEndedAt + RECOVERY_MS);
    console.info(`proxy restart (${restartEndedAt - restartStartedAt} ms): ${describeLoad(load, stored)}`);

    expect(failed.length).toBeGreaterThan(0); // or the restart did not happen under load
    for (const attempt of failed) {
      expect(attempt.endedAt).toBeGreaterThanOrEqual(restartStartedAt);
      expect(attempt.startedAt).toBeLessThanOrEqual(restartEndedAt + RECOVERY_MS);
    }
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery.filter((a) => a.status !== 201)).toEqual([]);
    // Every key acknowledged once retried, each transfer stored exactly once.
    expectExactlyOnce(load, stored, opening);
    expect(await verifyLedger(stack().compose.getContainer('api-1').getId())).toMatch(/^ledger ok: /);
  }, 90_000);
});
