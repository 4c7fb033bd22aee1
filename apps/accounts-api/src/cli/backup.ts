/**
 * Backups of the embedded SQLite store, in the `backup` service of
 * compose.backup.yaml (the api's image, whose entrypoint there is this
 * command):
 *
 *   docker compose -f compose.yaml -f compose.backup.yaml exec backup node dist/cli/backup.js run
 *   docker compose -f compose.yaml -f compose.backup.yaml exec backup node dist/cli/backup.js list
 *   docker compose -f compose.yaml -f compose.backup.yaml run --rm backup restore [NAME] [--force]
 *
 * `schedule` (the service's command) takes a copy at once and then every
 * BACKUP_INTERVAL, with SQLite's online backup API, while the api writes;
 * each copy is kept only if PRAGMA integrity_check and the ledger check
 * pass, in BACKUP_DIR, the newest BACKUP_KEEP of them. `run` takes one copy
 * and exits 1 if it fails its check. `restore` puts the newest copy that
 * passes its check (or the one named) back as the store, and refuses,
 * changing nothing, while the store is open or when it holds data (unless
 * --force). `status` is the service's healthcheck. It uses the api's own
 * settings (STORE_URL, STORE_BUSY_TIMEOUT_MS) to find the store.
 * Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 a
 * mistake in the command line.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { listCopies, type BackupCopy } from '../backup/backup-copies';
import { BackupError } from '../backup/backup.errors';
import { runSchedule, scheduleHealth } from '../backup/backup-schedule';
import { restoreBackup, takeBackup } from '../backup/sqlite-backup';
import { backupConfig } from '../config/backup.config';
import { loggingConfig } from '../config/logging.config';
import { storeConfig } from '../config/store.config';

const USAGE = `Usage:
  node dist/cli/backup.js run                      take one copy now
  node dist/cli/backup.js schedule                 take one now and one every BACKUP_INTERVAL, until stopped
  node dist/cli/backup.js list [--json]            the copies, newest first
  node dist/cli/backup.js restore [NAME] [--force] put the newest good copy (or NAME) back as the store
  node dist/cli/backup.js status                   exit 0 while the newest copy is younger than two intervals`;

/** A mistake in the command line: exit status 2, with the usage. */
class UsageError extends Error {}

interface Options {
  readonly positionals: string[];
  readonly force: boolean;
  readonly json: boolean;
}

/** The store's file, or a refusal: the embedded store is the only one this command copies. */
function storeFile(): { file: string; busyTimeoutMs: number } {
  const config = storeConfig();
  if (config.location.dialect !== 'sqlite') {
    throw new BackupError(
      'not_sqlite',
      'STORE_URL names PostgreSQL: this command copies the embedded SQLite store; ' +
        "PostgreSQL's backups are pgBackRest's (compose.postgres.backup.yaml)",
    );
  }
  return { file: config.location.file, busyTimeoutMs: config.busyTimeoutMs };
}

const describeCopy = (copy: BackupCopy) => `${copy.name}  ${copy.takenAt.toISOString()}  ${copy.bytes} bytes`;

const COMMANDS: Record<string, (options: Options) => Promise<string[]>> = {
  async run() {
    const { file, busyTimeoutMs } = storeFile();
    const { dir, keep } = backupConfig();
    const { copy, copyMs, checkMs, ledger, pruned } = await takeBackup({ source: file, dir, keep, busyTimeoutMs });
    return [
      `Backed up ${file} to ${copy.file} (${copy.bytes} bytes) in ${copyMs} ms, checked in ${checkMs} ms: ` +
        `integrity ok; ledger ok: ${ledger.accounts} accounts, ${ledger.transfers} transfers`,
      ...pruned.map((name) => `Removed ${name}, older than the newest ${keep}`),
    ];
  },

  async schedule() {
    const { file, busyTimeoutMs } = storeFile();
    const { dir, keep, intervalMs } = backupConfig();
    const log = pino({ level: loggingConfig().level });
    const stop = new AbortController();
    // node is PID 1 in the container, which has no default action for SIGTERM: `docker stop` would wait for SIGKILL.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
    log.info({ store: file, dir, intervalMs, keep }, `backing up ${file} to ${dir} every ${intervalMs / 1_000} s`);
    await runSchedule({
      intervalMs,
      log,
      signal: stop.signal,
      backup: () => takeBackup({ source: file, dir, keep, busyTimeoutMs }),
    });
    return [];
  },

  // eslint-disable-next-line @typescript-eslint/require-await -- every command is async
  async list({ json }) {
    const copies = listCopies(backupConfig().dir);
    if (json) return [JSON.stringify(copies.map(({ name, takenAt, bytes }) => ({ name, takenAt, bytes })))];
    return copies.length === 0 ? [`No copies in ${backupConfig().dir}`] : copies.map(describeCopy);
  },

  async restore({ positionals, force }) {
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const { file, busyTimeoutMs } = storeFile();
    const { copy, ledger, replaced } = await restoreBackup({
      target: file,
      dir: backupConfig().dir,
      name: positionals[0],
      force,
      busyTimeoutMs,
      onRejected: (rejected, problems) =>
        process.stderr.write(`backup: passing over ${rejected.name}, which fails its check: ${problems.join('; ')}\n`),
    });
    return [
      `Restored ${copy.name} (taken at ${copy.takenAt.toISOString()}) onto ${file}` +
        `${replaced ? ', replacing the store that was there' : ''}: integrity ok; ` +
        `ledger ok: ${ledger.accounts} accounts, ${ledger.transfers} transfers. Start the api again.`,
    ];
  },

  // eslint-disable-next-line @typescript-eslint/require-await -- every command is async
  async status() {
    const { dir, intervalMs } = backupConfig();
    const health = scheduleHealth(dir, intervalMs);
    if (!health.healthy) throw new BackupError('no_copy', health.line);
    return [health.line];
  },
};

/** Commands that take a positional argument after their name. */
const TAKES_NAME = new Set(['restore']);

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { force: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...positionals] = parsed.positionals;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (!run) throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  if (positionals.length > 0 && !TAKES_NAME.has(command)) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`);
  }
  const lines = await run({ positionals, force: parsed.values.force, json: parsed.values.json });
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    process.stderr.write(`backup: ${message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // A refusal or a failed check carries a message written for the operator.
  process.stderr.write(`backup: ${error instanceof BackupError ? message : `failed: ${message}`}\n`);
  process.exitCode = 1;
});
