import { closeSync, fsyncSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A copy's name holds the time it was taken, so that names sort by age: `accounts-20261205T171500123Z.db`. */
const COPY_NAME = /^accounts-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.db$/;
/** A copy being written or checked, which becomes a copy only once its check has passed. */
const PARTIAL = /^\.accounts-.*\.partial(-wal|-shm|-journal)?$/;

/** One copy of the store in the backup folder. */
export interface BackupCopy {
  readonly name: string;
  readonly file: string;
  /** When the copy's read began: every write acknowledged before it is in the copy. */
  readonly takenAt: Date;
  readonly bytes: number;
}

export function copyName(takenAt: Date): string {
  return `accounts-${takenAt.toISOString().replace(/[-:.]/g, '')}.db`;
}

/** Where a copy is written and checked before it gets its name. */
export function partialFile(dir: string, name: string): string {
  return join(dir, `.${name}.partial`);
}

function takenAtOf(name: string): Date | undefined {
  const parts = COPY_NAME.exec(name);
  if (!parts) return undefined;
  const [, year, month, day, hours, minutes, seconds, ms] = parts;
  return new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}.${ms}Z`);
}

/** The copies in `dir`, newest first; other files are not copies and are left alone. */
export function listCopies(dir: string): BackupCopy[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const copies: BackupCopy[] = [];
  for (const name of names) {
    const takenAt = takenAtOf(name);
    if (!takenAt) continue;
    const file = join(dir, name);
    copies.push({ name, file, takenAt, bytes: statSync(file).size });
  }
  return copies.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
}

/** Removes the oldest copies beyond `keep`; returns their names. */
export function pruneCopies(dir: string, keep: number): string[] {
  const old = listCopies(dir).slice(keep);
  for (const copy of old) rmSync(copy.file);
  return old.map((copy) => copy.name);
}

/** Removes what a backup cut short (a killed container) left half-written. */
export function removePartials(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (PARTIAL.test(name)) rmSync(join(dir, name));
  }
}

/** Makes a rename or removal in `dir` durable, as a commit is: the folder's entry is on disk too. */
// Stryker disable all: durability against a power cut, which no spec can make
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// Stryker restore all

/** The journal files SQLite keeps beside a store: its write-ahead log, the log's index, a rollback journal. */
export function journalsOf(file: string): string[] {
  return [`${file}-wal`, `${file}-shm`, `${file}-journal`];
}

/** A file and its journals. */
export function withJournals(file: string): string[] {
  return [file, ...journalsOf(file)];
}
