/**
 * The backup drill of compose.postgres.backup.yaml: under keyed transfer load
 * through the proxy, the database's volume is destroyed and restored from
 * pgBackRest's repository and the backup service's WAL stream, to the latest
 * state and to a point in time, with the one command docs/reference/backups.md documents.
 * Prints the measured RPO (acknowledged transfers lost) and RTO.
 *
 * The stream is synchronous, as by default, so the RPO must be zero. Run with
 * BACKUP_SYNCHRONOUS=off in the environment to measure the other mode: the
 * drill then asserts only what the archive guarantees.
 */
import { asSuperuser, docker, eventually, useStack, type Stack } from '../stack';
import type { CommandError, Json } from '../../support/docker.ts';
import { clientFor, ledgerOf } from '../../support/http.ts';
import { verifyLedger } from '../../support/ledger-checks.ts';
import { openAccount, settle, sleep, transferLoad } from '../../support/load.ts';

const synchronous = (process.env.BACKUP_SYNCHRONOUS ?? 'on') === 'on';
// Differential backups every 20 s, so that one is taken under the load; the
// slot keeps two WAL segments at most, so that a test can go past it.
const stack = useStack({
  overrides: ['compose.postgres.backup.yaml'],
  env: {
    PROXY_RATE_LIMIT: 'off',
    BACKUP_DIFF_INTERVAL: '20',
    BACKUP_SYNCHRONOUS: synchronous ? 'on' : 'off',
    BACKUP_STREAM_MAX_WAL: '32MB',
  },
});

interface BackupInfo {
  readonly label: string;
  readonly type: 'full' | 'diff' | 'incr';
  readonly timestamp: { readonly start: number; readonly stop: number };
  readonly error?: boolean;
}

async function backups(api: Stack): Promise<BackupInfo[]> {
  const out = await api.composeCli(['exec', '-T', 'backup', 'pgbackrest', 'info', '--output=json']);
  return (JSON.parse(out) as Json[])[0].backup as BackupInfo[];
}

/** The standby PostgreSQL streams to, and whether commits wait for it: `backup sync` or `backup async`. */
const standbyOf = (api: Stack) =>
  asSuperuser(api, "SELECT application_name || ' ' || sync_state FROM pg_stat_replication");
const expectedStandby = synchronous ? 'backup sync' : 'backup async';

/** The first good backup of `type` that started at or after `since`, once the backup service has taken it. */
async function backupSince(api: Stack, type: BackupInfo['type'], since: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await backups(api)).find((b) => b.type === type && !b.error && b.timestamp.start * 1000 >= since);
    if (found) return found;
    await sleep(1_000);
  }
  throw new Error(`no ${type} backup started after ${new Date(since).toISOString()} within ${timeoutMs} ms`);
}

/** `docker compose run --rm restore ARGS`, expected to refuse: its exit status and stderr. */
async function refusedRestore(api: Stack, args: readonly string[]): Promise<CommandError> {
  const error = await api.composeCli(['run', '--rm', ...args]).then(
    () => undefined,
    (e: CommandError) => e,
  );
  if (!error) throw new Error(`run --rm ${args.join(' ')} succeeded; it should have refused`);
  return error;
}

/**
 * The database's disk dies: PostgreSQL is killed, with no shutdown (a clean
 * one would archive the last WAL segment first), and its container and
 * volume are removed, as an operator does before a restore.
 */
async function destroyDatabase(api: Stack): Promise<void> {
  await api.composeCli(['kill', '--signal', 'SIGKILL', 'postgres']);
  await api.composeCli(['rm', '--stop', '--force', 'postgres']);
  await docker(['volume', 'rm', `${api.project}_pgdata`]);
}

/** The documented restore (docs/reference/backups.md), then postgres started again alone (the backup service may be retrying a backup). */
async function restore(api: Stack, args: readonly string[] = []): Promise<string> {
  const out = await api.composeCli(['run', '--rm', 'restore', ...args]);
  await api.composeCli(['up', '--detach', '--wait', '--no-deps', 'postgres'], { timeoutMs: 300_000 });
  return out;
}

/** A transfer as the ledger and the acknowledgement both show it: a restored id may be reused, createdAt is not. */
const identity = (t: { id: number; createdAt: string }) => `${t.id}@${t.createdAt}`;

/** The debits and credits the store holds between the two accounts, as identities. */
async function storedBetween(api: Stack, from: number, to: number) {
  const debits = (await ledgerOf(api, from)).filter((e) => e.amount < 0);
  const credits = (await ledgerOf(api, to)).filter((e) => e.amount > 0);
  const account = async (id: number) =>
    (await clientFor(api).GET('/accounts/{id}', { params: { path: { id } } })).data!.balance;
  return {
    debits: debits.map((e) => identity({ id: e.transferId, createdAt: e.createdAt })),
    credits: credits.map((e) => identity({ id: e.transferId, createdAt: e.createdAt })),
    fromBalance: await account(from),
    toBalance: await account(to),
  };
}

const apiId = () => stack().compose.getContainer('api-1').getId();

describe('pgBackRest: backups restored under load', () => {
  it('has a verified full backup as soon as the stack is up, and refuses to restore over a live database', async () => {
    const api = stack();
    const taken = await backups(api);
    expect(taken.filter((b) => b.type === 'full' && !b.error).length).toBeGreaterThanOrEqual(1);

    const refusal = await refusedRestore(api, ['restore']);
    expect(refusal.stderr).toMatch(/REFUSED: the pgdata volume .* is not empty: it holds a PostgreSQL 17 database/);
    expect(refusal.stderr).toMatch(/nothing was changed/);
    // Nothing was: the database still takes writes.
    const a = await openAccount(api, 'backup-refusal', 0);
    expect(a).toBeGreaterThan(0);
  }, 120_000);

  it('streams the WAL to the backup service, whose flush an api commit waits for', async () => {
    const api = stack();
    const standby = await standbyOf(api);
    expect(standby).toBe(expectedStandby);
    const from = await openAccount(api, 'stream-from', 10);
    const to = await openAccount(api, 'stream-to', 0);
    if (!synchronous) return;
    // The backup service frozen: a transfer is not acknowledged, a read is.
    await api.composeCli(['pause', 'backup']);
    let acknowledged = 0;
    const pending = transferLoad({ api, from, to, concurrency: 1, maxAttempts: 1, maxDurationMs: 30_000 }).then(
      (load) => {
        acknowledged = Date.now();
        return load;
      },
    );
    const unpausing = Date.now() + 2_000;
    try {
      await sleep(2_000);
      expect(acknowledged).toBe(0);
      const read = await clientFor(api).GET('/accounts/{id}', { params: { path: { id: to } } });
      expect(read.data?.balance).toBe(0);
    } finally {
      await api.composeCli(['unpause', 'backup']);
    }
    const load = await pending;
    expect(load.answers.size).toBe(1);
    expect(acknowledged).toBeGreaterThanOrEqual(unpausing);
  }, 120_000);

  it('starts the stream anew, with a new slot, once the database has stopped keeping WAL for it (BACKUP_STREAM_MAX_WAL)', async () => {
    const api = stack();
    const slot = () => asSuperuser(api, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'backup'");
    // The stream away, the backup service not: its loop frozen, then the
    // pg_receivewal it runs killed, whose connection the database then
    // closes (a frozen receiver would keep it open). Archiving goes on.
    const inBackup = (script: string) => api.composeCli(['exec', '-T', 'backup', 'bash', '-c', script]);
    const loop = (
      await inBackup(
        'receiver=$(pgrep --exact --newest pg_receivewal); loop=$(cut -d " " -f 4 /proc/$receiver/stat); ' +
          'kill -STOP $loop && kill -KILL $receiver && echo $loop',
      )
    ).trim();
    try {
      expect(await eventually(async () => ((await standbyOf(api)) === '' ? true : undefined), 10_000)).toBe(true);
      // Five WAL segments, more than the slot may keep, each with a write
      // by the superuser, whose commits never wait for the stream; the
      // checkpoint after them invalidates the slot.
      for (let i = 0; i < 5; i++) {
        await asSuperuser(
          api,
          'CREATE TABLE IF NOT EXISTS wal_filler (n int); INSERT INTO wal_filler VALUES (1); SELECT pg_switch_wal()',
        );
      }
      await asSuperuser(api, 'CHECKPOINT');
      expect(await slot()).toBe('lost');
    } finally {
      await inBackup(`kill -CONT ${loop}`);
    }
    await asSuperuser(api, 'DROP TABLE wal_filler');

    const following = await eventually(
      async () => ((await slot()) === 'reserved' && (await standbyOf(api)) === expectedStandby ? true : undefined),
      30_000,
      500,
    );
    expect(following).toBe(true);
    expect(await api.composeCli(['logs', 'backup'])).toContain('the slot keeps no WAL for where the stream stopped');
    const from = await openAccount(api, 'anew-from', 10);
    const to = await openAccount(api, 'anew-to', 0);
    const load = await transferLoad({ api, from, to, concurrency: 1, maxAttempts: 3, maxDurationMs: 15_000 });
    expect(load.answers.size).toBe(3);
  }, 120_000);

  it('restores to the latest state: every acknowledged transfer is there, once', async () => {
    const api = stack();
    const opening = 1_000_000;
    const from = await openAccount(api, 'drill-from', opening);
    const to = await openAccount(api, 'drill-to', 0);
    const loadStarted = Date.now();
    let removedAt = 0;
    let restartedAt = 0;
    let destroyStarted = 0;
    let restoreDone = 0;
    let bound = 0;
    let restoreSaid = '';
    const [load] = await Promise.all([
      transferLoad({
        api,
        from,
        to,
        concurrency: 4,
        maxAttempts: 200_000,
        maxDurationMs: 240_000,
        retryDelayMs: 100,
        stop: () => restartedAt > 0 && Date.now() > restartedAt + 3_000,
      }),
      (async () => {
        // A differential backup taken under the load: every transfer
        // acknowledged before it started is in the archive it waited for.
        const diff = await backupSince(api, 'diff', loadStarted);
        bound = diff.timestamp.start * 1000;
        // More transfers, whose WAL is not archived yet, then the disk dies.
        await sleep(3_000);
        destroyStarted = Date.now();
        await destroyDatabase(api);
        removedAt = Date.now();
        restoreSaid = await api.composeCli(['run', '--rm', 'restore']);
        restoreDone = Date.now();
        await api.composeCli(['up', '--detach', '--wait', '--no-deps', 'postgres'], { timeoutMs: 300_000 });
        restartedAt = Date.now();
      })(),
    ]);
    await settle(load, api, from, to);
    const firstAfter = load.attempts
      .filter((a) => a.status === 201 && a.startedAt >= removedAt)
      .reduce((first, a) => Math.min(first, a.endedAt), Infinity);
    const stored = await storedBetween(api, from, to);

    const answers = [...load.answers.values()];
    const storedSet = new Set(stored.debits);
    const lost = answers.filter((t) => !storedSet.has(identity(t)));
    const acknowledged = new Set(answers.map(identity));
    const rto = firstAfter - destroyStarted;
    console.info(
      `restore to latest under load: ${answers.length} transfers acknowledged, ${stored.debits.length} restored; ` +
        `RPO ${lost.length} acknowledged transfers lost${lostWindow(lost, removedAt)}, ` +
        `RTO ${(rto / 1000).toFixed(1)} s from removing postgres to the first transfer acknowledged again ` +
        `(the restore took ${((restoreDone - removedAt) / 1000).toFixed(1)} s; postgres, replayed and promoted, ` +
        `was reported healthy ${((restartedAt - restoreDone) / 1000).toFixed(1)} s after it)`,
    );

    expect(load.rejected).toEqual([]);
    expect(load.pending).toEqual([]);
    // The stream's segments came from the backup service over pgBackRest's
    // TLS (the restore mounts no volume of its), the one being written among them.
    expect(restoreSaid).toMatch(
      /copied \d+ streamed segment\(s\) into pg_wal .*the last being written: [0-9A-F]{24}\.partial/,
    );
    // With a synchronous stream, every acknowledged transfer is there;
    // without it, every one acknowledged before the backup started.
    expect(synchronous ? lost : lost.filter((t) => t.at < bound)).toEqual([]);
    // Nothing is there twice, and nothing is there that no one was told of.
    expect(new Set(stored.debits).size).toBe(stored.debits.length);
    expect(stored.debits.filter((t) => !acknowledged.has(t))).toEqual([]);
    expect([...stored.credits].sort()).toEqual([...stored.debits].sort());
    expect(stored.fromBalance).toBe(opening - stored.debits.length);
    expect(stored.toBalance).toBe(stored.debits.length);
    expect(firstAfter).toBeLessThan(Infinity);
    expect(await verifyLedger(apiId())).toMatch(/^ledger ok: /);
  }, 420_000);

  it('restores to a point in time: exactly the transfers acknowledged before it, and refuses another stack’s repository', async () => {
    const api = stack();
    const opening = 100_000;
    const from = await openAccount(api, 'pitr-from', opening);
    const to = await openAccount(api, 'pitr-to', 0);
    const batch = () => transferLoad({ api, from, to, concurrency: 4, maxAttempts: 100_000, maxDurationMs: 4_000 });
    const before = await batch();
    // Two well separated batches; the target in the middle of the gap.
    await sleep(1_000);
    const target = new Date();
    await sleep(1_000);
    const after = await batch();
    // Archives the segment holding the second batch, whose first commit
    // after the target is where recovery stops.
    await api.composeCli(['exec', '-T', 'backup', 'pgbackrest', 'check']);

    await destroyDatabase(api);
    const refusal = await refusedRestore(api, ['-e', 'PGBACKREST_STANZA=another-stack', 'restore']);
    expect(refusal.stderr).toMatch(/REFUSED: the repository at backup does not serve stanza 'another-stack'/);
    expect(refusal.stderr).toMatch(/another stack's repository/);
    // PostgreSQL's timestamptz, to the microsecond, in UTC.
    const when = target.toISOString().replace('T', ' ').replace('Z', '+00');
    const out = await restore(api, ['--target', when]);
    expect(out).toContain(`restoring stanza ${api.project} to ${when}`);

    const stored = await storedBetween(api, from, to);
    const expected = [...before.answers.values()].map(identity).sort();
    console.info(
      `restore to ${when}: ${before.answers.size} transfers acknowledged before it, ${after.answers.size} after; ` +
        `${stored.debits.length} restored`,
    );
    expect(before.rejected).toEqual([]);
    expect(after.rejected).toEqual([]);
    expect(after.answers.size).toBeGreaterThan(0);
    expect([...stored.debits].sort()).toEqual(expected);
    expect([...stored.credits].sort()).toEqual(expected);
    expect(stored.fromBalance).toBe(opening - before.answers.size);
    expect(stored.toBalance).toBe(before.answers.size);
    expect(await verifyLedger(apiId())).toMatch(/^ledger ok: /);
    // And the restored database takes writes again, the stream following it on its new timeline.
    const followed = await eventually(
      async () => ((await standbyOf(api)) === expectedStandby ? true : undefined),
      30_000,
      500,
    );
    expect(followed).toBe(true);
    const more = await transferLoad({ api, from, to, concurrency: 1, maxAttempts: 5, maxDurationMs: 10_000 });
    expect(more.answers.size).toBe(5);
  }, 420_000);
});

/** How far back before the disk's removal the lost transfers go: what the archive had not received. */
function lostWindow(lost: readonly { at: number }[], removedAt: number): string {
  if (lost.length === 0) return '';
  const oldest = Math.min(...lost.map((t) => t.at));
  return ` (those acknowledged in the last ${((removedAt - oldest) / 1000).toFixed(1)} s before the removal)`;
}
