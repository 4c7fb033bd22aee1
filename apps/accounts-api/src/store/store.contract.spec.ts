import { sql } from 'kysely';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { RecordingMetrics } from '../../test/support/metrics';
import { STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { checkMigrated, MIGRATION_NAMES, MIGRATIONS, migrateToLatest } from './migrations/migrator';
import { StoreBusyError, StoreFullError, StoreUnavailableError } from './store.errors';
import { openMigratedStore, openStore } from './store.factory';

const NOW = new Date().toISOString();

/** `bulk` makes the row large, to fill a store quickly: SQLite keeps any text in a time column. */
const insertAccount = (name: string, trx: TempStore['store']['db'], bulk?: string) =>
  trx
    .insertInto('accounts')
    .values({ name, opening_balance: 0, balance: 0, created_at: NOW, updated_at: bulk ?? NOW })
    .execute();

/** The customer accounts' names: migration 006 leaves the issuance account (id 0) in every store. */
const customerNames = (db: TempStore['store']['db']) =>
  db.selectFrom('accounts').select('name').where('id', '<>', 0).orderBy('id').execute();

describe.each(STORE_DIALECTS)('the %s store', (dialect) => {
  let temp: TempStore;
  beforeEach(async () => (temp = await tempStore(dialect)));
  afterEach(() => temp.dispose());

  const names = (db = temp.store.db) => customerNames(db);
  /** What a newer api leaves behind: a migration this one does not know, recorded as applied. */
  const recordFutureMigration = () =>
    temp.store.db
      .insertInto('kysely_migration' as never)
      .values({ name: '999-future', timestamp: new Date().toISOString() })
      .execute();

  it('says which database it is', () => {
    expect(temp.store.dialect).toBe(dialect);
  });

  it('refuses queries and transactions once closed, as unavailable, and may be closed again', async () => {
    const store = temp.open();
    await store.close();

    const query = store.db.selectFrom('accounts').selectAll().execute();
    await expect(query).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(query).rejects.toThrow('The accounts store is closed; retry shortly');
    const transaction = store.transaction(async () => 'never');
    await expect(transaction).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(transaction).rejects.toThrow('The accounts store is closed; retry shortly');
    await expect(store.close()).resolves.toBeUndefined();
    // Another connection to the same data is not affected.
    expect(await names()).toEqual([]);
  });

  it('moves its accounts version when this replica or another commits a change to the accounts, and only then', async () => {
    const other = temp.open();
    const start = await temp.store.accountsVersion();
    expect(await temp.store.accountsVersion()).toBe(start);

    await insertAccount('amy', temp.store.db);
    const afterOwnWrite = await temp.store.accountsVersion();
    expect(afterOwnWrite).not.toBe(start);

    const trx = await other.db.startTransaction().execute();
    await insertAccount('bea', trx);
    expect(await temp.store.accountsVersion()).toBe(afterOwnWrite);
    await trx.commit().execute();
    const afterOtherInsert = await temp.store.accountsVersion();
    expect(afterOtherInsert).not.toBe(afterOwnWrite);

    await other.db.updateTable('accounts').set({ name: 'cal' }).where('name', '=', 'amy').execute();
    const afterUpdate = await temp.store.accountsVersion();
    expect(afterUpdate).not.toBe(afterOtherInsert);
    await other.db.deleteFrom('accounts').where('name', '=', 'cal').execute();
    expect(await temp.store.accountsVersion()).not.toBe(afterUpdate);
  });

  it('refuses to read its accounts version once closed, as unavailable', async () => {
    const store = temp.open();
    await store.close();

    await expect(store.accountsVersion()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('counts the connections in use and the queries and transactions waiting for one', async () => {
    const store = openStore({ ...storeConfigFor(temp.url, 5_000), poolSize: 1 });
    const metrics = new RecordingMetrics();
    store.reportTo(metrics);
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    try {
      expect(store.connections()).toEqual({ max: 1, inUse: 0, waiting: 0 });
      const transaction = store.transaction(async (trx) => {
        await insertAccount('held', trx);
        started();
        await held;
      });
      await holding;
      const query = names(store.db);
      const another = store.transaction((trx) => insertAccount('after', trx));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // What a scrape reads, through the metrics the store reports to.
      expect(metrics.readConnections?.()).toEqual({ max: 1, inUse: 1, waiting: 2 });
      commit();
      await Promise.all([transaction, query, another]);
      expect(store.connections()).toEqual({ max: 1, inUse: 0, waiting: 0 });
      expect(await names(store.db)).toEqual([{ name: 'held' }, { name: 'after' }]);
    } finally {
      commit();
      await store.close();
    }
  });

  it('keeps savepoints in a transaction the caller controls', async () => {
    const trx = await temp.store.db.startTransaction().execute();
    try {
      await insertAccount('kept', trx);
      const first = await trx.savepoint('first').execute();
      await insertAccount('undone', first);
      const back = await first.rollbackToSavepoint('first').execute();
      await insertAccount('after', back);
      expect((await names(back)).map((row) => row.name)).toEqual(['kept', 'after']);

      const second = await back.savepoint('second').execute();
      await second.releaseSavepoint('second').execute();
      // Released, it is gone: Kysely's types know it, and the database says so too.
      await expect(second.rollbackToSavepoint('second').execute()).rejects.toThrow(
        /no such savepoint|savepoint "second" does not exist/,
      );
    } finally {
      await trx.rollback().execute();
    }
    expect(await names()).toEqual([]);
  });

  it('records its migrations and applies none the second time', async () => {
    expect(await temp.store.migrate()).toEqual([]);
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      temp.store.db,
    );
    expect(rows.map((row) => row.name)).toEqual(MIGRATION_NAMES);
  });

  // SQLite replicas are processes that queue for the file's write lock, which
  // node:sqlite waits for synchronously: connections in one process cannot
  // interleave, so the integration suite starts three containers at once
  // instead (test/stack/migrations.int-spec.ts).
  if (dialect === 'postgres') {
    it('applies each migration once when three replicas start on an empty store at the same moment', async () => {
      const fresh = await tempStore(dialect, { migrate: false, busyTimeoutMs: 5_000 });
      try {
        const replicas = [fresh.store, fresh.open(5_000), fresh.open(5_000)];
        const applied = await Promise.all(replicas.map((replica) => replica.migrate()));

        expect(applied.flat()).toEqual(MIGRATION_NAMES);
        expect(await names(fresh.store.db)).toEqual([]);
      } finally {
        await fresh.dispose();
      }
    });
  }

  it('keeps Idempotency-Key answers stored before migration 004, and takes new ones without the status older replicas wrote', async () => {
    const fresh = await tempStore(dialect, { migrate: false });
    try {
      const upTo003 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '004'));
      await migrateToLatest(fresh.store.db, dialect, 'fresh', upTo003);
      await sql`INSERT INTO idempotency_keys (scope, key, fingerprint, status, location, body, created_at)
                VALUES ('POST /accounts by ann', 'old', 'f', 201, '/accounts/1', '{"id":1}', 1)`.execute(
        fresh.store.db,
      );

      await migrateToLatest(fresh.store.db, dialect, 'fresh', MIGRATIONS);
      await fresh.store.db
        .insertInto('idempotency_keys')
        .values({ scope: 'POST /accounts by ann', key: 'new', fingerprint: 'f', body: '{"id":2}', created_at: 2 })
        .execute();

      const rows = await fresh.store.db
        .selectFrom('idempotency_keys')
        .select(['key', 'status', 'location', 'body'])
        .orderBy('key')
        .execute();
      expect(rows).toEqual([
        { key: 'new', status: null, location: null, body: '{"id":2}' },
        { key: 'old', status: 201, location: '/accounts/1', body: '{"id":1}' },
      ]);
    } finally {
      await fresh.dispose();
    }
  });

  it('leaves the schema untouched when a migration fails', async () => {
    const broken = {
      '999-broken': {
        up: async (db: Parameters<typeof migrateToLatest>[0]) => {
          await sql`CREATE TABLE good (id integer)`.execute(db);
          await sql`CREATE TABLE bad (`.execute(db);
        },
      },
    };
    const released = Object.fromEntries(MIGRATION_NAMES.map((name) => [name, { up: async () => undefined }]));
    const all = { ...released, ...broken };

    const failure: Error = await migrateToLatest(temp.store.db, dialect, 'test', all).then(
      () => {
        throw new Error('the migration did not fail');
      },
      (error: Error) => error,
    );
    expect(failure.message).toMatch(
      /^Migrating the store test failed at 999-broken: .*(syntax error|incomplete input)/,
    );
    expect(failure.message).not.toMatch(/newer/);
    expect(failure.cause).toMatchObject({ message: expect.stringMatching(/syntax error|incomplete input/) });
    const { rows } = await sql`SELECT name FROM kysely_migration`.execute(temp.store.db);
    expect(rows).toHaveLength(MIGRATION_NAMES.length);
    await expect(sql`SELECT * FROM good`.execute(temp.store.db)).rejects.toThrow();
  });

  it('names the migration that failed, not one applied before it in the same run', async () => {
    const fresh = await tempStore(dialect, { migrate: false });
    try {
      const all = {
        '001-fine': {
          up: async (db: Parameters<typeof migrateToLatest>[0]) =>
            void (await sql`CREATE TABLE fine (id integer)`.execute(db)),
        },
        '999-broken': {
          up: async (db: Parameters<typeof migrateToLatest>[0]) => void (await sql`CREATE TABLE bad (`.execute(db)),
        },
      };
      await expect(migrateToLatest(fresh.store.db, dialect, 'fresh', all)).rejects.toThrow(
        /^Migrating the store fresh failed at 999-broken: /,
      );
    } finally {
      await fresh.dispose();
    }
  });

  it('refuses a store migrated by a newer api', async () => {
    await recordFutureMigration();

    await expect(temp.store.migrate()).rejects.toThrow(
      `Migrating the store ${temp.store.location} failed: corrupted migrations: previously executed migration 999-future is missing; ` +
        'the store was migrated by a newer api: run a newer image',
    );
  });

  describe('with STORE_MIGRATIONS=check', () => {
    it('opens a store at the latest schema without writing to it', async () => {
      const store = await openMigratedStore(storeConfigFor(temp.url, 2_000, 'check'));
      try {
        expect(await names(store.db)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('refuses a store never migrated, naming the migrations and what applies them, and creates nothing', async () => {
      const fresh = await tempStore(dialect, { migrate: false, busyTimeoutMs: 2_000 });
      try {
        await expect(openMigratedStore(storeConfigFor(fresh.url, 2_000, 'check'))).rejects.toThrow(
          `The store ${fresh.store.location} lacks migrations ${MIGRATION_NAMES.join(', ')}, and STORE_MIGRATIONS=check does not apply them: ` +
            "run them first as the schema's owner (node dist/cli/migrate.js, the migrate service of compose.postgres.yaml)",
        );
        await expect(sql`SELECT 1 FROM kysely_migration`.execute(fresh.store.db)).rejects.toThrow();
      } finally {
        await fresh.dispose();
      }
    });

    it('refuses a store that lacks the newest migration', async () => {
      const fresh = await tempStore(dialect, { migrate: false, busyTimeoutMs: 2_000 });
      try {
        const [last, ...older] = Object.entries(MIGRATIONS).reverse();
        await migrateToLatest(fresh.store.db, dialect, 'fresh', Object.fromEntries(older.reverse()));
        await expect(checkMigrated(fresh.store.db, 'fresh')).rejects.toThrow(
          `The store fresh lacks migrations ${last[0]}, and STORE_MIGRATIONS=check`,
        );
      } finally {
        await fresh.dispose();
      }
    });

    it('refuses a store migrated by a newer api', async () => {
      await recordFutureMigration();

      await expect(checkMigrated(temp.store.db, 'here')).rejects.toThrow(
        'The store here has migrations this api does not know (999-future): it was migrated by a newer api: run a newer image',
      );
    });
  });

  it('rolls a failed transaction back whole', async () => {
    await expect(
      temp.store.transaction(async (trx) => {
        await insertAccount('a', trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await names()).toEqual([]);
  });

  it("reports each transaction's duration and outcome: commit, or the code of the domain error that rolled it back", async () => {
    const metrics = new RecordingMetrics();
    temp.store.reportTo(metrics);

    await temp.store.transaction((trx) => insertAccount('a', trx));
    await expect(temp.store.transaction(() => Promise.reject(new StoreFullError('full')))).rejects.toThrow('full');
    await expect(temp.store.transaction(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    const reported = metrics.of('transaction');
    expect(reported.map(([outcome]) => outcome as string)).toEqual(['commit', 'store_full', 'unknown_error']);
    for (const [, seconds] of reported) expect(seconds).toEqual(expect.any(Number));
    for (const [, seconds] of reported) expect(seconds as number).toBeGreaterThanOrEqual(0);
    for (const [, seconds] of reported) expect(seconds as number).toBeLessThan(5);
  });

  it('answers StoreBusyError when another replica holds the lock a write needs past the busy timeout', async () => {
    await insertAccount('a', temp.store.db);
    const other = temp.open();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = other.transaction(async (trx) => {
      await other.forUpdate(trx.selectFrom('accounts').select('id')).execute();
      locked();
      await held;
    });
    try {
      // The holder failing to take the lock fails the test rather than hanging it.
      await Promise.race([lockTaken, holder]);

      const started = Date.now();
      const write = temp.store.transaction((trx) =>
        temp.store.forUpdate(trx.selectFrom('accounts').select('id').where('id', '=', 1)).execute(),
      );

      await expect(write).rejects.toBeInstanceOf(StoreBusyError);
      // It waited for the lock as long as the busy timeout (200 ms here) allows, not a moment less.
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      release();
      await holder;
    }
    await expect(temp.store.transaction(async () => 'done')).resolves.toBe('done');
  });

  it('gives seeded tables ids above those written explicitly', async () => {
    await temp.store.transaction(async (trx) => {
      await trx
        .insertInto('accounts')
        .values({ id: 7, name: 'seeded', opening_balance: 0, balance: 0, created_at: NOW, updated_at: NOW })
        .execute();
      await temp.store.resetIdentities(trx);
    });
    await insertAccount('next', temp.store.db);
    const rows = await temp.store.db
      .selectFrom('accounts')
      .select(['id', 'name'])
      .where('id', '<>', 0)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 7, name: 'seeded' },
      { id: 8, name: 'next' },
    ]);
  });
});

describe('the sqlite store', () => {
  let temp: TempStore;
  beforeEach(async () => (temp = await tempStore('sqlite')));
  afterEach(() => temp.dispose());

  const file = () => temp.url.slice('sqlite:'.length);

  it('opens the file in WAL mode with full syncs', () => {
    const db = new DatabaseSync(file(), { readOnly: true });
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
    // synchronous is per connection: read it on the store's own.
    return expect(sql`PRAGMA synchronous`.execute(temp.store.db)).resolves.toMatchObject({
      rows: [{ synchronous: 2 }],
    });
  });

  it('streams rows', async () => {
    for (const name of ['a', 'b', 'c']) await insertAccount(name, temp.store.db);
    const streamed: string[] = [];
    for await (const row of temp.store.db
      .selectFrom('accounts')
      .select('name')
      .where('id', '>', 0)
      .orderBy('id')
      .stream())
      streamed.push(row.name);
    expect(streamed).toEqual(['a', 'b', 'c']);
  });

  it('enforces foreign keys', async () => {
    await expect(
      temp.store.db
        .insertInto('ledger_entries')
        .values({
          account_id: 404,
          transfer_id: 404,
          amount: 1,
          balance_after: 1,
          created_at: NOW,
          created_by: 'tester',
        })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
  });

  it('leaves no write-ahead log behind once closed', async () => {
    await insertAccount('a', temp.store.db);
    expect(existsSync(`${file()}-wal`)).toBe(true);
    await temp.store.close();
    expect(existsSync(`${file()}-wal`)).toBe(false);
  });

  it('answers StoreFullError when the file cannot grow, and keeps what was committed', async () => {
    await insertAccount('kept', temp.store.db);
    const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(temp.store.db);
    await sql.raw(`PRAGMA max_page_count = ${rows[0].page_count}`).execute(temp.store.db);

    await expect(
      temp.store.transaction(async (trx) => {
        for (let i = 0; i < 100; i++) await insertAccount(`n${i}`, trx, 'x'.repeat(3000));
      }),
    ).rejects.toThrow(StoreFullError);
    expect(await customerNames(temp.store.db)).toEqual([{ name: 'kept' }]);
  });

  it('adopts a store made before the migrator, keeping its data', async () => {
    const old = await tempStore('sqlite', { migrate: false });
    try {
      await old.store.close();
      const db = new DatabaseSync(old.url.slice('sqlite:'.length));
      db.exec(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, opening_balance INTEGER NOT NULL, balance INTEGER NOT NULL, overdraft_limit INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT) STRICT; INSERT INTO accounts (name, opening_balance, balance, created_at, updated_at) VALUES ('old', 5, 5, 'x', 'x'); PRAGMA user_version = 1;",
      );
      db.close();
      const store = old.open();

      expect(await store.migrate()).toEqual(MIGRATION_NAMES);
      expect(await store.db.selectFrom('accounts').select(['name', 'balance']).orderBy('id').execute()).toEqual([
        { name: 'issuance', balance: -5 },
        { name: 'old', balance: 5 },
      ]);
    } finally {
      await old.dispose();
    }
  });
});

describe('the postgres store', () => {
  it('lets a role the owner granted its tables read the record of migrations after a migration, not write it', async () => {
    const temp = await tempStore('postgres', { busyTimeoutMs: 5_000 });
    const role = `reader_${Date.now().toString(36)}`;
    const can = async (privilege: string) => {
      const { rows } = await sql<{
        yes: boolean;
      }>`SELECT has_table_privilege(${role}, 'kysely_migration', ${privilege}) AS yes`.execute(temp.store.db);
      return rows[0].yes;
    };
    try {
      await sql.raw(`CREATE ROLE ${role}`).execute(temp.store.db);
      await sql
        .raw(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO ${role}`)
        .execute(temp.store.db);
      expect(await can('INSERT')).toBe(true);

      expect(await temp.store.migrate()).toEqual([]);

      expect(await can('SELECT')).toBe(true);
      for (const privilege of ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) expect(await can(privilege)).toBe(false);
      const { rows } = await sql<{
        yes: boolean;
      }>`SELECT has_table_privilege(${role}, 'accounts', 'INSERT') AS yes`.execute(temp.store.db);
      expect(rows[0].yes).toBe(true);
    } finally {
      await sql.raw(`DROP OWNED BY ${role}`).execute(temp.store.db);
      await sql.raw(`DROP ROLE IF EXISTS ${role}`).execute(temp.store.db);
      await temp.dispose();
    }
  });

  it('answers StoreUnavailableError, not a crash, when the server drops a connection held between two queries', async () => {
    // Room for a new connection on a busy machine: only the dropped one may fail.
    const temp = await tempStore('postgres', { busyTimeoutMs: 5_000 });
    try {
      const failure = temp.store.transaction(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        // What a restart or a fast shutdown does to every session: from outside, while this one waits.
        const admin = temp.open();
        await sql`SELECT pg_terminate_backend(${rows[0].pid})`.execute(admin.db);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await trx.selectFrom('accounts').selectAll().execute();
      });

      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await customerNames(temp.store.db)).toEqual([]);
    } finally {
      await temp.dispose();
    }
  });

  it('answers StoreUnavailableError, not a crash, when no server answers', async () => {
    // Port 9 on loopback (discard): nothing listens there, so the connection is refused at once.
    const store = openStore(storeConfigFor('postgres://accounts@127.0.0.1:9/accounts'));
    try {
      await expect(store.db.selectFrom('accounts').selectAll().execute()).rejects.toBeInstanceOf(StoreUnavailableError);
      // The query that waited for a connection is counted as waiting no longer, and never held one.
      expect(store.connections()).toEqual({ max: 5, inUse: 0, waiting: 0 });
    } finally {
      await store.close();
    }
  });
});
