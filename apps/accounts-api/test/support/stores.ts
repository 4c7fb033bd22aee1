import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreConfig } from '../../src/config/store.config';
import { parseStoreUrl } from '../../src/config/store-url';
import type { StoreDialect } from '../../src/store/store';
import type { Store } from '../../src/store/store';
import { openStore } from '../../src/store/store.factory';

/** Every store the api runs on; contract specs run once for each. */
export const STORE_DIALECTS: readonly StoreDialect[] = ['sqlite', 'postgres'];

export interface TempStore {
  readonly store: Store;
  /** STORE_URL for this store, for an app or a second connection. */
  readonly url: string;
  /** Another connection to the same data, as a second replica would have. */
  open(busyTimeoutMs?: number): Store;
  dispose(): Promise<void>;
}

/**
 * The api's settings for `url`. A password in a PostgreSQL URL is moved out
 * of it, as the api gets it from STORE_PASSWORD_FILE.
 */
export function storeConfigFor(
  url: string,
  busyTimeoutMs = 200,
  migrations: StoreConfig['migrations'] = 'apply',
): StoreConfig {
  const location = parseStoreUrl(url);
  let password: string | undefined;
  if (location.dialect === 'postgres' && location.url.password) {
    password = decodeURIComponent(location.url.password);
    location.url.password = '';
  }
  return {
    location,
    password,
    migrations,
    busyTimeoutMs,
    poolSize: 5,
    idempotencyKeyTtlSeconds: 3600,
  };
}

/**
 * A fresh, empty store of the given kind, migrated unless told otherwise:
 * SQLite in a file of a temporary folder (a real file, so WAL and locking
 * behave as in the container), PostgreSQL as a new database in the run's
 * container (test/unit/postgres.global-setup.ts).
 */
export async function tempStore(
  dialect: StoreDialect,
  { busyTimeoutMs = 200, migrate = true }: { busyTimeoutMs?: number; migrate?: boolean } = {},
): Promise<TempStore> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-store-'));
    url = `sqlite:${join(dir, 'accounts.db')}`;
    cleanup = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  } else {
    const admin = process.env.TEST_POSTGRES_URL;
    if (!admin)
      throw new Error('TEST_POSTGRES_URL is not set: run the specs through their jest config, which starts PostgreSQL');
    const name = `accounts_${randomBytes(6).toString('hex')}`;
    await adminQuery(admin, `CREATE DATABASE ${name}`);
    const target = new URL(admin);
    target.pathname = `/${name}`;
    url = target.href;
    cleanup = () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  const opened: Store[] = [];
  const open = (timeout = busyTimeoutMs) => {
    const store = openStore(storeConfigFor(url, timeout));
    opened.push(store);
    return store;
  };
  const store = open();
  if (migrate) await store.migrate();
  return {
    store,
    url,
    open,
    async dispose() {
      for (const each of opened) await each.close();
      await cleanup();
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Another replica's transaction that locks one account's row now and, on
 * release, writes `change` to it and commits. Resolves once the lock is held,
 * with the function that releases it.
 */
export async function holdRow(
  temp: TempStore,
  id: number,
  change?: { name?: string; version?: number; balance?: number },
): Promise<() => Promise<void>> {
  const other = temp.open(5_000);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const lockTaken = new Promise<void>((resolve) => (locked = resolve));
  const holder = other.transaction(async (trx) => {
    await other.forUpdate(trx.selectFrom('accounts').select('id').where('id', '=', id)).execute();
    locked();
    await released;
    if (change) await trx.updateTable('accounts').set(change).where('id', '=', id).execute();
  });
  // The holder failing to take the lock fails the test rather than hanging it.
  await Promise.race([lockTaken, holder]);
  return async () => {
    release();
    await holder;
  };
}
