/**
 * Replaces everything in the store with the seed file, on purpose:
 *
 *   docker compose run --rm api dist/cli/reseed.js
 *
 * It uses the api's own settings (STORE_URL, SEED_FILE), so it writes the
 * same store the running replicas use, SQLite or PostgreSQL; they serve the
 * new data at once. A bad seed file changes nothing.
 */
import { seedConfig } from '../config/seed.config';
import { storeConfig } from '../config/store.config';
import { readSeedFile } from '../seed/seed-file';
import { SYSTEM_ACTORS } from '../audit/audit-trail';
import { importSeed } from '../seed/seed-import';
import { openMigratedStore } from '../store/store.factory';

async function reseed(): Promise<void> {
  const seed = seedConfig();
  const accounts = readSeedFile(seed.file);
  const store = await openMigratedStore(storeConfig());
  try {
    const outcome = await importSeed(store, seed.file, accounts, { replace: true, by: SYSTEM_ACTORS.cli });
    process.stdout.write(
      `Re-seeded ${store.location} with ${accounts.length} accounts from ${seed.file} (${outcome.sha256})\n`,
    );
  } finally {
    await store.close();
  }
}

reseed().catch((error: unknown) => {
  // Domain errors (store busy, unavailable, full) carry a message written for the operator.
  process.stderr.write(`reseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
