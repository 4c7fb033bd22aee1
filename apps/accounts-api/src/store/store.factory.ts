import { Logger } from '@nestjs/common';
import type { StoreConfig } from '../config/store.config';
import { checkMigrated } from './migrations/migrator';
import { PostgresStore } from './postgres/postgres.store';
import { SqliteStore } from './sqlite/sqlite.store';
import type { Store } from './store';

/** Opens the store that STORE_URL names; it is not migrated yet. */
export function openStore(config: StoreConfig, logger = new Logger('Store')): Store {
  const { location } = config;
  if (location.dialect === 'sqlite') return new SqliteStore(location.file, config.busyTimeoutMs);
  return new PostgresStore({
    url: location.url,
    password: config.password,
    busyTimeoutMs: config.busyTimeoutMs,
    poolSize: config.poolSize,
    onConnectionError: (error) =>
      logger.warn(`A PostgreSQL connection failed (${error.message}); the pool opens a new one when needed`),
  });
}

/**
 * Opens the store with its schema at the latest version: migrated, or with
 * STORE_MIGRATIONS=check only checked. Closes it again if either fails.
 */
export async function openMigratedStore(config: StoreConfig, logger?: Logger): Promise<Store> {
  const store = openStore(config, logger);
  try {
    if (config.migrations === 'check') await checkMigrated(store.db, store.location);
    else await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
