import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { backup, DatabaseSync } from 'node:sqlite';
import type { LedgerReport } from '../ledger/ledger-check';
import { checkCopy, describeCheck } from './backup-check';
import {
  copyName,
  listCopies,
  partialFile,
  pruneCopies,
  removePartials,
  syncDir,
  journalsOf,
  withJournals,
  type BackupCopy,
} from './backup-copies';
import { BackupError } from './backup.errors';

/**
 * Pages copied per step of SQLite's backup API: all of them, in one step.
 * One step reads one snapshot, in one read transaction that writers in WAL
 * mode do not wait for. In smaller steps, a write by another connection (a
 * replica) between two steps starts the copy again from the first page, and
 * under steady load it might never end.
 */
const ALL_PAGES = 2 ** 31 - 1;

/** Milliseconds since `start` (a performance.now()), to a tenth. */
const msSince = (start: number) => Math.round((performance.now() - start) * 10) / 10;

export interface BackupOptions {
  /** The store's file: STORE_URL's path. */
  readonly source: string;
  /** The folder the copies go to: BACKUP_DIR. */
  readonly dir: string;
  /** Copies kept: BACKUP_KEEP. */
  readonly keep: number;
  readonly busyTimeoutMs: number;
  readonly now?: () => Date;
}

export interface BackupResult {
  readonly copy: BackupCopy;
  /** How long the copy itself took, and then its check. */
  readonly copyMs: number;
  readonly checkMs: number;
  readonly ledger: LedgerReport;
  /** The copies removed because more than BACKUP_KEEP were kept. */
  readonly pruned: readonly string[];
}

/** Whether the store's schema is there yet: the api makes it at its first start, in one transaction. */
function hasSchema(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accounts'").get() !== undefined;
}

/** The online copy itself, to the partial file of the copy's name; when its read began, and how long it took. */
async function copyStore(
  source: string,
  dir: string,
  busyTimeoutMs: number,
  now: () => Date,
): Promise<{ takenAt: Date; copyMs: number }> {
  // Read-only: this connection can never change the store, nor make an empty file where none is.
  const db = new DatabaseSync(source, { readOnly: true, timeout: busyTimeoutMs });
  try {
    if (!hasSchema(db)) {
      throw new BackupError(
        'no_store',
        `The store at ${source} has no tables yet: the api makes them at its first start`,
      );
    }
    const takenAt = now();
    const started = performance.now();
    // Stryker disable next-line ObjectLiteral: SQLite's default of 100 pages a step copies a small store as well; only steady commits from another process to a large one make it start over
    await backup(db, partialFile(dir, copyName(takenAt)), { rate: ALL_PAGES });
    return { takenAt, copyMs: msSince(started) };
  } finally {
    db.close();
  }
}

/**
 * Copies the store while the api writes to it, with SQLite's online backup
 * API, and keeps the copy only if it passes its check (checkCopy); then
 * removes the oldest copies beyond `keep`. A copy that fails is deleted, and
 * the BackupError thrown names each problem.
 *
 * The store is read through a read-only connection that shares the api's
 * write-ahead log and its index (the `-shm` file), so the copy holds every
 * write committed when it began, those still in the WAL included; writers
 * do not wait for it. That connection needs to write the `-shm` file: the
 * state volume must be mounted read-write.
 */
export async function takeBackup(options: BackupOptions): Promise<BackupResult> {
  const { source, dir, keep, busyTimeoutMs, now = () => new Date() } = options;
  if (!existsSync(source)) {
    throw new BackupError('no_store', `There is no store at ${source} yet: the api makes it at its first start`);
  }
  mkdirSync(dir, { recursive: true });
  removePartials(dir);
  // A copy cut short leaves its partial file, which the next one removes (above).
  const { takenAt, copyMs } = await copyStore(source, dir, busyTimeoutMs, now);
  const name = copyName(takenAt);
  const partial = partialFile(dir, name);
  const started = performance.now();
  const check = await checkCopy(partial, busyTimeoutMs);
  const checkMs = msSince(started);
  if (!check.ok) {
    for (const file of withJournals(partial)) rmSync(file, { force: true });
    throw new BackupError(
      'check_failed',
      `The copy of ${source} taken at ${takenAt.toISOString()} failed its check and was not kept:\n` +
        describeCheck(check).join('\n'),
    );
  }
  const file = join(dir, name);
  renameSync(partial, file);
  // Stryker disable next-line CallExpression: durability against a power cut, which no spec can make
  syncDir(dir);
  const pruned = pruneCopies(dir, keep);
  return {
    copy: { name, file, takenAt, bytes: statSync(file).size },
    copyMs,
    checkMs,
    ledger: check.ledger,
    pruned,
  };
}

/** SQLite's primary result code for a lock that another connection holds. */
const SQLITE_BUSY = 5;

/**
 * Whether another connection has the store open: the api, a replica, the
 * backup service. In WAL mode each holds a shared lock on the file for as
 * long as it is open, so an exclusive lock cannot be had while any does;
 * SQLite asks the same question before it deletes the WAL at a close.
 */
export function storeInUse(file: string): boolean {
  // node:sqlite waits for no lock unless told to: a lock held elsewhere fails at once.
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    // Closing the connection below ends this transaction, and its lock, with a rollback.
    db.exec('BEGIN EXCLUSIVE');
    return false;
  } catch (error) {
    // Only a lock held elsewhere says so; a file SQLite cannot read (the reason for a forced restore) is no one's.
    return (error as { errcode?: number }).errcode === SQLITE_BUSY;
  } finally {
    db.close();
  }
}

/** Whether a store holds anything: a file, or a WAL, that is not empty. */
function holdsData(file: string): boolean {
  return [file, `${file}-wal`].some((each) => existsSync(each) && statSync(each).size > 0);
}

export interface RestoreOptions {
  /** The store's file to restore onto: STORE_URL's path. */
  readonly target: string;
  /** The folder of the copies: BACKUP_DIR. */
  readonly dir: string;
  /** A copy's name; the newest copy that passes its check unless given. */
  readonly name?: string;
  /** Replace a store that holds data (never one that is in use). */
  readonly force?: boolean;
  readonly busyTimeoutMs: number;
  /** Told of each copy passed over because it failed its check. */
  readonly onRejected?: (copy: BackupCopy, problems: readonly string[]) => void;
}

export interface RestoreResult {
  readonly copy: BackupCopy;
  readonly ledger: LedgerReport;
  /** Whether a store that held data was replaced (--force). */
  readonly replaced: boolean;
}

/**
 * Puts a copy back as the store. Refuses, changing nothing, when a process
 * has the store open, when it holds data (unless `force`), or when the copy
 * fails its check; without a name, a copy that fails is passed over for the
 * next older one. The copy is checked as the file it becomes, written beside
 * the store, which replaces the old one (and its WAL, whose pages belong to
 * the old file) in one rename.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { target, dir, name, force = false, busyTimeoutMs, onRejected } = options;
  const copies = listCopies(dir);
  const candidates = name === undefined ? copies : copies.filter((copy) => copy.name === name);
  if (candidates.length === 0) {
    throw new BackupError(
      'no_copy',
      name === undefined
        ? `There is no copy in ${dir} to restore`
        : `There is no copy named ${name} in ${dir}; \`list\` shows the copies there`,
    );
  }
  const replaced = holdsData(target);
  if (existsSync(target) && storeInUse(target)) {
    throw new BackupError(
      'store_in_use',
      `The store at ${target} is in use: stop the api and the backup service first ` +
        '(docker compose stop api backup), then restore; nothing was changed',
    );
  }
  if (replaced && !force) {
    throw new BackupError(
      'store_not_empty',
      `The store at ${target} holds data (${statSync(target).size} bytes): restoring would replace it. ` +
        'Nothing was changed; add --force to replace it',
    );
  }

  mkdirSync(dirname(target), { recursive: true });
  const staged = join(dirname(target), `.${basename(target)}.restoring`);
  for (const copy of candidates) {
    for (const file of withJournals(staged)) rmSync(file, { force: true });
    copyFileSync(copy.file, staged);
    const check = await checkCopy(staged, busyTimeoutMs);
    if (!check.ok) {
      for (const file of withJournals(staged)) rmSync(file, { force: true });
      if (name !== undefined) {
        throw new BackupError(
          'check_failed',
          `${copy.name} failed its check and was not restored; nothing was changed:\n${describeCheck(check).join('\n')}`,
        );
      }
      onRejected?.(copy, check.problems);
      continue;
    }
    // The old store's WAL and index go first: left beside the new file, SQLite would replay them onto it.
    for (const file of journalsOf(target)) rmSync(file, { force: true });
    renameSync(staged, target);
    // Stryker disable next-line CallExpression: durability against a power cut, which no spec can make
    syncDir(dirname(target));
    return { copy, ledger: check.ledger, replaced };
  }
  throw new BackupError('no_copy', `No copy in ${dir} passes its check; nothing was changed`);
}
