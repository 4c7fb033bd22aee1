/**
 * The SQLite store's backups (compose.backup.yaml), restored by a drill: the
 * state volume destroyed under write load, the newest copy put back, and the
 * acknowledged transfers counted. SQLite only: on PostgreSQL the backups are
 * pgBackRest's (test/stack/postgres/), and jest.config.js runs this file in
 * the default run alone.
 */
import { docker, inspect, useStack } from './stack';
import { integrityCheck, storedTransfers, verifyLedger } from '../support/ledger-checks.ts';
import { openAccount, sleep, timedFetch, transferLoad } from '../support/load.ts';

const INTERVAL_S = 3;
/** Load before the kill: long enough for several copies. */
const LOAD_MS = 4 * INTERVAL_S * 1_000;
const stack = useStack({
  env: { PROXY_RATE_LIMIT: 'off', BACKUP_INTERVAL: `${INTERVAL_S}s`, BACKUP_KEEP: '5' },
  overrides: ['compose.backup.yaml'],
});

const STATE_DIR = '/var/lib/accounts-api';
const BACKUP_DIR = '/var/backups/accounts-api';

async function serviceId(service: string): Promise<string> {
  return (await stack().composeCli(['ps', '-q', service])).trim();
}

/** `dist/cli/backup.js ARGS` in a one-off container of the backup service, as an operator runs a restore. */
function backupCommand(args: readonly string[]): Promise<string> {
  return stack().composeCli(['run', '--rm', '-T', 'backup', ...args]);
}

describe('the backup service of compose.backup.yaml', () => {
  it('runs hardened and without a network, reads the state volume and writes the copies to a volume of its own', async () => {
    const { HostConfig, Mounts, Config } = await inspect('container', await serviceId('backup'));

    expect(Config.User).toBe('node');
    expect(HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], NetworkMode: 'none' });
    expect(HostConfig.SecurityOpt).toContainEqual(expect.stringMatching(/^no-new-privileges(:true)?$/));
    expect(HostConfig.Memory).toBeGreaterThan(0);
    expect(HostConfig.NanoCpus).toBeGreaterThan(0);
    expect(HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
    // Read-write: a reader of a WAL store writes its read marks into the `-shm` file beside it.
    expect(Mounts.find((m: { Destination: string }) => m.Destination === STATE_DIR)).toMatchObject({
      Type: 'volume',
      Name: `${stack().project}_state`,
      RW: true,
    });
    expect(Mounts.find((m: { Destination: string }) => m.Destination === BACKUP_DIR)).toMatchObject({
      Type: 'volume',
      Name: `${stack().project}_backups`,
      RW: true,
    });
    expect((await backupCommand(['list'])).trim().split('\n')[0]).toMatch(
      /^accounts-\d{8}T\d{9}Z\.db {2}\S+ {2}\d+ bytes$/,
    );
  });

  it('refuses to restore onto the store while the api has it open, and changes nothing', async () => {
    const before = await storedTransfers(stack(), 3, 1);

    await expect(backupCommand(['restore', '--force'])).rejects.toThrow(
      `backup: The store at ${STATE_DIR}/accounts.db is in use: stop the api and the backup service first`,
    );
    expect(await storedTransfers(stack(), 3, 1)).toEqual(before);
  });

  it('restores the newest copy after the state volume is destroyed under write load: every transfer acknowledged before the copy, none twice', async () => {
    const api = stack();
    const opening = 1_000_000;
    const from = await openAccount(api, 'drill-from', opening);
    const to = await openAccount(api, 'drill-to', 0);

    // The disk dies: the api and the backup service are killed mid-load, and the store's volume is gone.
    let killedAt = 0;
    const [load] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 8,
        maxAttempts: 100_000,
        // A key whose request the kill cut off is retried until then, and left unacknowledged.
        maxDurationMs: LOAD_MS + 2_000,
        retryDelayMs: 100,
        stop: () => killedAt > 0,
      }),
      (async () => {
        await sleep(LOAD_MS);
        killedAt = Date.now();
        await stack().composeCli(['kill', 'api', 'backup']);
      })(),
    ]);
    await stack().composeCli(['rm', '--force', 'api', 'backup']);
    await docker(['volume', 'rm', `${stack().project}_state`]);
    await expect(docker(['volume', 'inspect', `${stack().project}_state`])).rejects.toThrow();

    const restoring = Date.now();
    const restored = await backupCommand(['restore']);
    const restoreMs = Date.now() - restoring;
    const [, copyName, takenAt] = /^Restored (\S+) \(taken at (\S+)\) onto /m.exec(restored) ?? [];
    expect(restored).toMatch(/integrity ok; ledger ok: /);
    const copyTakenAt = Date.parse(takenAt);
    await stack().composeCli(['up', '--detach', '--wait']);

    // Back in service once a transfer is acknowledged again (nginx re-resolves `api` within 2 s).
    let after: number | undefined;
    const deadline = Date.now() + 30_000;
    while (after === undefined && Date.now() < deadline) {
      const outcome = await timedFetch(`${api.baseUrl}/transfers`, {
        method: 'POST',
        headers: { ...api.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ from, to, amount: 1 }),
      });
      if (outcome.status === 201) after = (JSON.parse(outcome.body!) as { id: number }).id;
      else await sleep(200);
    }
    const backAt = Date.now();
    expect(after).toBeDefined();

    const stored = await storedTransfers(api, from, to);
    const acknowledged = [...load.answers.values()].map(({ id, at }) => ({ id, at }));
    const storedIds = new Set(stored.fromTransferIds);
    const beforeCopy = acknowledged.filter((t) => t.at < copyTakenAt);
    const lost = acknowledged.filter((t) => !storedIds.has(t.id));
    const acknowledgedIds = new Set(acknowledged.map((t) => t.id));
    const unacknowledged = stored.fromTransferIds.filter((id) => id !== after && !acknowledgedIds.has(id));
    console.info(
      `backup drill: ${acknowledged.length} transfers acknowledged, ${beforeCopy.length} before the copy restored ` +
        `(${copyName}, taken ${killedAt - copyTakenAt} ms before the kill; BACKUP_INTERVAL ${INTERVAL_S} s). ` +
        `RPO: ${lost.length} acknowledged transfers lost, all acknowledged after the copy. ` +
        `RTO: ${((backAt - killedAt) / 1_000).toFixed(1)} s from the kill to the next acknowledged transfer ` +
        `(the restore command ${(restoreMs / 1_000).toFixed(1)} s). ` +
        `${load.pending.length} transfers in flight at the kill, ${unacknowledged.length} of them in the copy.`,
    );

    expect(load.rejected).toEqual([]);
    // The load ran across several copies, and the one restored held part of it.
    expect(beforeCopy.length).toBeGreaterThan(0);
    expect(killedAt - copyTakenAt).toBeLessThanOrEqual((INTERVAL_S + 2) * 1_000);
    // Every transfer acknowledged before the copy began is there, under its id.
    expect(beforeCopy.filter((t) => !storedIds.has(t.id))).toEqual([]);
    // What was lost was acknowledged after it: the RPO is the writes of the last interval.
    expect(lost.filter((t) => t.at < copyTakenAt)).toEqual([]);
    // None twice, on either side; and nothing but acknowledged transfers, the one after the restore,
    // and transfers whose answer the kill cut off.
    expect(stored.fromTransferIds).toHaveLength(storedIds.size);
    expect(stored.toTransferIds).toEqual(stored.fromTransferIds);
    expect(unacknowledged.length).toBeLessThanOrEqual(load.pending.length);
    expect(stored.fromBalance).toBe(opening - storedIds.size);
    expect(stored.toBalance).toBe(storedIds.size);
    const apiId = await serviceId('api');
    expect(await integrityCheck(apiId)).toBe('ok');
    expect(await verifyLedger(apiId)).toMatch(/^ledger ok: /);
    // The schedule goes on from the restored store.
    expect(await stack().composeCli(['ps', '--format', '{{.Health}}', 'backup'])).toMatch(/^healthy/);
  }, 150_000);
});
