import { setTimeout as sleep } from 'node:timers/promises';
import { listCopies } from './backup-copies';
import { BackupError } from './backup.errors';
import type { BackupResult } from './sqlite-backup';

/** Where the schedule says what it did: pino's logger fits. */
export interface ScheduleLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ScheduleOptions {
  /** BACKUP_INTERVAL: from the start of one copy to the start of the next. */
  readonly intervalMs: number;
  /** Takes one copy: takeBackup with the settings bound. */
  readonly backup: () => Promise<BackupResult>;
  readonly log: ScheduleLog;
  /** Ends the schedule: no copy is started after it, and the wait ends at once. */
  readonly signal: AbortSignal;
  /** How often to look again for a store that is not there yet (the api is starting). */
  readonly retryMs?: number;
}

/**
 * Takes a copy at once, then one every interval, until the signal: the
 * `backup` service of compose.backup.yaml. A copy that fails its check is
 * logged at level error, with each problem, and the schedule goes on; the
 * healthcheck (scheduleHealth) turns unhealthy once no good copy has been
 * made for two intervals. Until the api has made the store, the schedule
 * waits for it, saying so once.
 */
export async function runSchedule(options: ScheduleOptions): Promise<void> {
  const { intervalMs, backup, log, signal, retryMs = 1_000 } = options;
  let waitingForStore = false;
  while (!signal.aborted) {
    const started = Date.now();
    let next = intervalMs;
    try {
      const { copy, copyMs, checkMs, ledger, pruned } = await backup();
      waitingForStore = false;
      log.info(
        {
          backup: copy.name,
          takenAt: copy.takenAt.toISOString(),
          bytes: copy.bytes,
          copyMs,
          checkMs,
          transfers: ledger.transfers,
          pruned,
        },
        `backup ${copy.name} kept: copied in ${copyMs} ms, checked in ${checkMs} ms ` +
          `(integrity ok; ledger ok: ${ledger.accounts} accounts, ${ledger.transfers} transfers)`,
      );
    } catch (error) {
      if (error instanceof BackupError && error.failure === 'no_store') {
        if (!waitingForStore) log.warn({ failure: error.failure }, `${error.message}; waiting for it`);
        waitingForStore = true;
        next = retryMs;
      } else {
        const failure = error instanceof BackupError ? error.failure : 'error';
        const message = error instanceof Error ? error.message : String(error);
        log.error({ failure }, `BACKUP FAILED, no copy was kept: ${message}`);
      }
    }
    try {
      await sleep(Math.max(0, started + next - Date.now()), undefined, { signal });
    } catch {
      // Aborted: the loop's condition ends it.
    }
  }
}

/** Whether the backups are current: the healthcheck of the backup service. */
export interface ScheduleHealth {
  readonly healthy: boolean;
  readonly line: string;
}

/** Healthy while the newest copy in `dir` is younger than two intervals: one missed or failed copy is tolerated, two are not. */
export function scheduleHealth(dir: string, intervalMs: number, now = new Date()): ScheduleHealth {
  const [newest] = listCopies(dir);
  if (!newest) return { healthy: false, line: `no copy in ${dir} yet` };
  const ageMs = now.getTime() - newest.takenAt.getTime();
  const age = `${newest.name} was taken ${Math.round(ageMs / 1_000)} s ago`;
  return ageMs <= 2 * intervalMs
    ? { healthy: true, line: `${age}` }
    : {
        healthy: false,
        line: `${age}, more than two intervals (${intervalMs / 1_000} s each): the schedule is failing`,
      };
}
