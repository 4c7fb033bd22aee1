/**
 * Brings the store's schema to the latest version, then exits: what the
 * `migrate` service of compose.postgres.yaml runs, once, as the role that
 * owns the schema, before the replicas start as a role that may not change
 * tables (STORE_MIGRATIONS=check).
 *
 *   docker compose -f compose.yaml -f compose.postgres.yaml run --rm migrate
 *
 * It uses the api's own settings (STORE_URL, STORE_PASSWORD_FILE), and
 * applies the migrations whatever STORE_MIGRATIONS says: applying them is
 * what it is for. Replicas and migrations queue on the same lock, so running
 * it beside running replicas is safe.
 */
import { storeConfig } from '../config/store.config';
import { openStore } from '../store/store.factory';

async function migrate(): Promise<void> {
  const store = openStore(storeConfig());
  try {
    const applied = await store.migrate();
    process.stdout.write(
      applied.length > 0
        ? `Migrated ${store.location}: applied ${applied.join(', ')}\n`
        : `${store.location} is already at the latest schema\n`,
    );
  } finally {
    await store.close();
  }
}

migrate().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
