import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { AccountsCache } from '../accounts/accounts.cache';
import { AccountsService } from '../accounts/accounts.service';
import type { KeyActor } from '../auth/actor.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { checkLedger } from '../ledger/ledger-check';
import { NO_METRICS } from '../metrics/metrics';
import { importSeed } from '../seed/seed-import';
import { SqliteStore } from '../store/sqlite/sqlite.store';
import { TransfersService } from '../transfers/transfers.service';
import { checkCopy, describeCheck } from './backup-check';
import { listCopies } from './backup-copies';
import { BackupError, type BackupFailure } from './backup.errors';
import { restoreBackup, storeInUse, takeBackup, type BackupOptions } from './sqlite-backup';

const ADMIN: KeyActor = { name: 'ops', requestId: null, scope: 'admin' };
const TIMEOUT_MS = 2_000;

/** The api's way to write: the seed's three accounts, then transfers of 1 from fred (3) to joe (1). */
class Books {
  private readonly transfers: TransfersService;

  constructor(readonly temp: TempStore) {
    const idempotency = new IdempotencyService(temp.store, storeConfigFor(temp.url), NO_METRICS);
    const accounts = new AccountsService(
      temp.store,
      idempotency,
      new AccountsCache(temp.store, NO_METRICS),
      NO_METRICS,
    );
    this.transfers = new TransfersService(temp.store, accounts, idempotency, NO_METRICS);
  }

  static async open(): Promise<Books> {
    const temp = await tempStore('sqlite', { busyTimeoutMs: TIMEOUT_MS });
    await importSeed(temp.store, 'seed.json', [
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 1_000 },
    ]);
    return new Books(temp);
  }

  get file(): string {
    return this.temp.url.slice('sqlite:'.length);
  }

  async transfer(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push((await this.transfers.create({ from: 3, to: 1, amount: 1 }, undefined, ADMIN)).value.id);
    }
    return ids;
  }
}

/** The customer transfers a store file holds (not the seed's issuances), read with a connection of its own. */
function transferIdsIn(file: string): number[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (
      db.prepare('SELECT id FROM transfers WHERE from_id <> 0 AND to_id <> 0 ORDER BY id').all() as { id: number }[]
    ).map((row) => row.id);
  } finally {
    db.close();
  }
}

async function failureOf(work: Promise<unknown>): Promise<{ failure: BackupFailure; message: string }> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof BackupError)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return { failure: error.failure, message: error.message };
}

/** An index whose entries no longer match its table: what PRAGMA integrity_check finds row by row. */
function breakAnIndex(file: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec('CREATE INDEX transfers_amount ON transfers (amount)');
    db.enableDefensive(false);
    db.exec('PRAGMA writable_schema = ON');
    db.exec(
      "UPDATE sqlite_schema SET sql = 'CREATE INDEX transfers_amount ON transfers (from_id)' WHERE name = 'transfers_amount'",
    );
  } finally {
    db.close();
  }
}

describe('backups of the SQLite store', () => {
  let books: Books;
  let dir: string;
  let scratch: string;
  let options: BackupOptions;
  let clock: number;

  beforeEach(async () => {
    books = await Books.open();
    scratch = mkdtempSync(join(tmpdir(), 'accounts-backup-'));
    dir = join(scratch, 'backups');
    clock = Date.parse('2026-12-05T17:00:00.000Z');
    options = {
      source: books.file,
      dir,
      keep: 3,
      busyTimeoutMs: TIMEOUT_MS,
      now: () => new Date((clock += 60_000)),
    };
  });
  afterEach(async () => {
    await books.temp.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('takeBackup', () => {
    it('copies the store, what is still in its WAL included, while it stays open, and names the copy by its time', async () => {
      const ids = await books.transfer(5);
      const began = performance.now();

      const result = await takeBackup(options);
      const tookMs = performance.now() - began;

      expect(result.copy).toMatchObject({
        name: 'accounts-20261205T170100000Z.db',
        file: join(dir, 'accounts-20261205T170100000Z.db'),
        takenAt: new Date('2026-12-05T17:01:00.000Z'),
      });
      expect(result.copy.bytes).toBe(statSync(result.copy.file).size);
      // The issuance account and the seed's three issuances, beside the customers' accounts and transfers.
      expect(result.ledger).toMatchObject({ accounts: 4, transfers: 8, discrepancies: [] });
      expect(result.copyMs).toBeGreaterThanOrEqual(0);
      expect(result.checkMs).toBeGreaterThan(0);
      expect(result.copyMs + result.checkMs).toBeLessThanOrEqual(tookMs);
      expect(result.pruned).toEqual([]);
      // The api's connection is still open, so its commits are still in the WAL, not yet in the file.
      expect(statSync(`${books.file}-wal`).size).toBeGreaterThan(0);
      // Only the copy is left in the folder: no partial file, no journal.
      expect(readdirSync(dir)).toEqual([result.copy.name]);
      expect(transferIdsIn(result.copy.file)).toEqual(ids);
    });

    it('copies while another connection writes, and the copy holds at least what was committed before it began', async () => {
      const before = await books.transfer(20);
      const writing = books.transfer(200);

      const result = await takeBackup(options);
      const after = await writing;

      const copied = transferIdsIn(result.copy.file);
      expect(copied.slice(0, before.length)).toEqual(before);
      // A prefix of the ids, each once: a snapshot, never a mix of two moments.
      expect(copied).toEqual([...before, ...after].slice(0, copied.length));
      expect(result.ledger.discrepancies).toEqual([]);
    });

    it('keeps the newest copies only, as many as it is told', async () => {
      const names = [];
      for (let i = 0; i < 5; i++) names.push((await takeBackup(options)).copy.name);

      expect(listCopies(dir).map((copy) => copy.name)).toEqual(names.slice(2).reverse());
    });

    it('says which copies it removed', async () => {
      const first = await takeBackup({ ...options, keep: 1 });
      const second = await takeBackup({ ...options, keep: 1 });

      expect(second.pruned).toEqual([first.copy.name]);
    });

    it('keeps no copy that fails its check, and says what is wrong', async () => {
      await books.transfer(2);
      await books.temp.store.db.updateTable('accounts').set({ balance: 5_000 }).where('id', '=', 2).execute();

      const { failure, message } = await failureOf(takeBackup(options));

      expect(failure).toBe('check_failed');
      expect(message).toBe(
        `The copy of ${books.file} taken at 2026-12-05T17:01:00.000Z failed its check and was not kept:\n` +
          'ledger: account 2: balance 5000, but its entries sum to -1\n' +
          'ledger: the balances sum to 5001, not zero: money appeared or vanished outside the ledger',
      );
      expect(readdirSync(dir)).toEqual([]);
    });

    it('waits for a store that is not there yet, and makes no file where none was', async () => {
      const missing = join(scratch, 'none', 'accounts.db');

      expect(await failureOf(takeBackup({ ...options, source: missing }))).toEqual({
        failure: 'no_store',
        message: `There is no store at ${missing} yet: the api makes it at its first start`,
      });
      expect(existsSync(missing)).toBe(false);
    });

    it('waits for a store that has no tables yet', async () => {
      const empty = join(scratch, 'empty.db');
      new DatabaseSync(empty).close();

      expect(await failureOf(takeBackup({ ...options, source: empty }))).toEqual({
        failure: 'no_store',
        message: `The store at ${empty} has no tables yet: the api makes them at its first start`,
      });
      expect(listCopies(dir)).toEqual([]);
    });

    it('names a copy by the clock unless told otherwise', async () => {
      const before = Date.now();

      const { copy } = await takeBackup({ ...options, now: undefined });

      expect(copy.takenAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(copy.takenAt.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('copies a store left with a WAL by a killed api without changing it, nor keeping it open', async () => {
      await books.transfer(3);
      const { file } = killedStoreCopy(books, join(scratch, 'killed'));
      const fingerprint = () =>
        [file, `${file}-wal`].map((each) => createHash('sha256').update(readFileSync(each)).digest('hex'));
      const before = fingerprint();

      const { copy } = await takeBackup({ ...options, source: file });

      expect(transferIdsIn(copy.file)).toHaveLength(3);
      // A read-write connection, the last to close, would have moved the WAL into the file and deleted it.
      expect(fingerprint()).toEqual(before);
      expect(storeInUse(file)).toBe(false);
    });

    it('removes what a backup cut short left behind', async () => {
      await takeBackup(options);
      writeFileSync(join(dir, '.accounts-20261205T170000000Z.db.partial'), 'half');
      writeFileSync(join(dir, '.accounts-20261205T170000000Z.db.partial-wal'), 'half');
      writeFileSync(join(dir, 'notes.txt'), 'mine');

      const second = await takeBackup(options);

      expect(readdirSync(dir).sort()).toEqual(['accounts-20261205T170100000Z.db', second.copy.name, 'notes.txt']);
    });
  });

  describe('checkCopy', () => {
    it('passes a sound copy with its ledger, in one line', async () => {
      await books.transfer(2);
      const { copy } = await takeBackup(options);

      const check = await checkCopy(copy.file, TIMEOUT_MS);

      expect(check).toMatchObject({ ok: true, ledger: { accounts: 4, transfers: 5, discrepancies: [] } });
      expect(describeCheck(check)).toEqual([
        'ledger ok: 4 accounts, 5 transfers, 10 entries; the balances sum to zero, 1009 issued',
      ]);
    });

    it("fails a copy whose index does not match its table, with each of SQLite's findings", async () => {
      await books.transfer(2);
      const { copy } = await takeBackup(options);
      breakAnIndex(copy.file);

      const check = await checkCopy(copy.file, TIMEOUT_MS);

      expect(check).toEqual({
        ok: false,
        problems: [
          // The seed's three issuances, then the two transfers.
          ...[1, 2, 3, 4, 5].map((row) => `integrity_check: row ${row} missing from index transfers_amount`),
        ],
      });
      expect(describeCheck(check)).toEqual(check.ok ? [] : check.problems);
    });

    it('fails a file that is not there, and does not make it', async () => {
      const missing = join(scratch, 'missing.db');

      expect(await checkCopy(missing, TIMEOUT_MS)).toEqual({
        ok: false,
        problems: ['integrity_check: unable to open database file'],
      });
      expect(existsSync(missing)).toBe(false);
    });

    it('fails a sound SQLite file that holds no store', async () => {
      const other = join(scratch, 'other.db');
      new DatabaseSync(other).close();

      expect(await checkCopy(other, TIMEOUT_MS)).toEqual({ ok: false, problems: ['ledger: no such table: accounts'] });
    });
  });

  describe('storeInUse', () => {
    it('is true while another connection has the store open, even idle, and false once it closes', async () => {
      expect(storeInUse(books.file)).toBe(true);

      await books.temp.store.close();

      expect(storeInUse(books.file)).toBe(false);
    });

    it('is false for a file SQLite cannot read, which a forced restore replaces', () => {
      const garbage = join(scratch, 'garbage.db');
      writeFileSync(garbage, 'not a database, not at all, but long enough to have a header'.repeat(10));

      expect(storeInUse(garbage)).toBe(false);
    });
  });

  describe('restoreBackup', () => {
    let target: string;
    const restore = (extra: Partial<Parameters<typeof restoreBackup>[0]> = {}) =>
      restoreBackup({ target, dir, busyTimeoutMs: TIMEOUT_MS, ...extra });

    beforeEach(() => {
      target = join(scratch, 'state', 'accounts.db');
    });

    it('puts the newest copy back onto an empty place, where the api opens it with every transfer the copy held', async () => {
      await books.transfer(3);
      await takeBackup(options);
      const ids = await books.transfer(4);
      const newest = await takeBackup(options);

      const result = await restore();

      expect(result).toMatchObject({ copy: { name: newest.copy.name }, replaced: false });
      expect(result.ledger).toMatchObject({ accounts: 4, transfers: 10, discrepancies: [] });
      const restored = new SqliteStore(target, TIMEOUT_MS);
      try {
        expect((await checkLedger(restored)).discrepancies).toEqual([]);
        const rows = await restored.db.selectFrom('transfers').select('id').orderBy('id').execute();
        // After the seed's three issuances and the three transfers of the older copy.
        expect(rows.map((row) => row.id).slice(6)).toEqual(ids);
      } finally {
        await restored.close();
      }
      expect(readdirSync(join(scratch, 'state'))).toEqual(['accounts.db']);
    });

    it('puts a copy back onto an empty file without being forced: nothing is replaced', async () => {
      await takeBackup(options);
      mkdirSync(join(scratch, 'state'));
      writeFileSync(target, '');

      expect((await restore()).replaced).toBe(false);
      expect(transferIdsIn(target)).toEqual([]);
    });

    it('counts a store whose commits are all still in its WAL as holding data', async () => {
      await takeBackup(options);
      mkdirSync(join(scratch, 'state'));
      writeFileSync(target, '');
      writeFileSync(`${target}-wal`, 'frames');

      expect((await failureOf(restore())).failure).toBe('store_not_empty');
    });

    it('puts back the copy it is named', async () => {
      await books.transfer(2);
      const older = await takeBackup(options);
      await books.transfer(2);
      await takeBackup(options);

      const result = await restore({ name: older.copy.name });

      expect(result.copy.name).toBe(older.copy.name);
      expect(transferIdsIn(target)).toHaveLength(2);
    });

    it('refuses, changing nothing, while the store is open', async () => {
      await takeBackup(options);
      const before = transferIdsIn(books.file);

      const refusal = await failureOf(
        restoreBackup({ target: books.file, dir, busyTimeoutMs: TIMEOUT_MS, force: true }),
      );

      expect(refusal).toEqual({
        failure: 'store_in_use',
        message:
          `The store at ${books.file} is in use: stop the api and the backup service first ` +
          '(docker compose stop api backup), then restore; nothing was changed',
      });
      expect(transferIdsIn(books.file)).toEqual(before);
    });

    it('refuses, changing nothing, a store that holds data unless forced, and forced replaces it and its WAL', async () => {
      await books.transfer(2);
      await takeBackup(options);
      await books.transfer(3);
      // A store left by a killed api: its last commits are in its WAL only, which must not be replayed onto the copy.
      const killed = join(scratch, 'killed');
      rmSync(killed, { recursive: true, force: true });
      const { file } = killedStoreCopy(books, killed);
      const before = transferIdsIn(file);
      expect(before).toHaveLength(5);

      const refusal = await failureOf(restoreBackup({ target: file, dir, busyTimeoutMs: TIMEOUT_MS }));

      expect(refusal.failure).toBe('store_not_empty');
      expect(refusal.message).toMatch(
        new RegExp(
          `^The store at ${file} holds data \\(\\d+ bytes\\): restoring would replace it. Nothing was changed; add --force to replace it$`,
        ),
      );
      expect(transferIdsIn(file)).toEqual(before);

      const forced = await restoreBackup({ target: file, dir, busyTimeoutMs: TIMEOUT_MS, force: true });

      expect(forced.replaced).toBe(true);
      expect(readdirSync(killed)).toEqual(['accounts.db']);
      expect(transferIdsIn(file)).toEqual(before.slice(0, 2));
    });

    it('refuses a named copy that fails its check, changing nothing', async () => {
      const copy = (await takeBackup(options)).copy;
      truncateSync(copy.file, 4096);

      const refusal = await failureOf(restore({ name: copy.name }));

      expect(refusal.failure).toBe('check_failed');
      expect(refusal.message).toMatch(
        new RegExp(`^${copy.name} failed its check and was not restored; nothing was changed:\\nintegrity_check: `),
      );
      expect(existsSync(join(scratch, 'state')) ? readdirSync(join(scratch, 'state')) : []).toEqual([]);
    });

    it('refuses a named copy whose books do not add up, naming each discrepancy', async () => {
      await books.transfer(1);
      const copy = (await takeBackup(options)).copy;
      const db = new DatabaseSync(copy.file);
      db.exec('UPDATE accounts SET balance = balance + 7 WHERE id = 2');
      db.close();

      const refusal = await failureOf(restore({ name: copy.name }));

      expect(refusal).toEqual({
        failure: 'check_failed',
        message:
          `${copy.name} failed its check and was not restored; nothing was changed:\n` +
          'ledger: account 2: balance 6, but its entries sum to -1\n' +
          'ledger: the balances sum to 7, not zero: money appeared or vanished outside the ledger',
      });
    });

    it('passes over the newest copy when it fails its check, says so, and restores the next one', async () => {
      await books.transfer(1);
      const good = await takeBackup(options);
      const bad = await takeBackup(options);
      writeFileSync(bad.copy.file, 'garbage');
      const rejected: string[] = [];

      const result = await restore({
        onRejected: (copy, problems) => rejected.push(`${copy.name}: ${problems.join('; ')}`),
      });

      expect(result.copy.name).toBe(good.copy.name);
      expect(rejected).toEqual([`${bad.copy.name}: integrity_check: file is not a database`]);
      expect(transferIdsIn(target)).toHaveLength(1);
    });

    it('refuses when no copy passes, or there is none, or none by that name', async () => {
      expect(await failureOf(restore())).toEqual({
        failure: 'no_copy',
        message: `There is no copy in ${dir} to restore`,
      });
      const copy = (await takeBackup(options)).copy;
      expect(await failureOf(restore({ name: 'accounts-20000101T000000000Z.db' }))).toEqual({
        failure: 'no_copy',
        message: `There is no copy named accounts-20000101T000000000Z.db in ${dir}; \`list\` shows the copies there`,
      });
      writeFileSync(copy.file, 'garbage');
      expect(await failureOf(restore())).toEqual({
        failure: 'no_copy',
        message: `No copy in ${dir} passes its check; nothing was changed`,
      });
      expect(existsSync(target)).toBe(false);
    });
  });
});

/**
 * The store as a killed api leaves it: its file and its WAL, copied while the
 * api's connection is open, so that the last commits are in the WAL alone.
 */
function killedStoreCopy(books: Books, dir: string): { file: string } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'accounts.db');
  copyFileSync(books.file, file);
  copyFileSync(`${books.file}-wal`, `${file}-wal`);
  return { file };
}
