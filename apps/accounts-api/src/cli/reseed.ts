/**
 * Replaces everything in the store with the seed file, on purpose:
 *
 *   docker compose run --rm api dist/cli/reseed.js
 *
 * It uses the api's own settings (STORE_FILE, SEED_FILE), so it writes the
 * same volume the running replicas use; they serve the new data at once. A bad
 * seed file changes nothing.
 */
import { seedConfig } from '../config/seed.config';
import { storeConfig } from '../config/store.config';
import { Database } from '../store/database';
import { migrate } from '../store/migrations';
import { readSeedFile } from '../store/seed-file';
import { importSeed } from '../store/seed-import';

function reseed(): void {
  const store = storeConfig();
  const seed = seedConfig();
  const accounts = readSeedFile(seed.file);
  const db = new Database(store.file, store.busyTimeoutMs);
  try {
    migrate(db);
    const outcome = importSeed(db, seed.file, accounts, { replace: true });
    process.stdout.write(`Re-seeded ${store.file} with ${accounts.length} accounts from ${seed.file} (${outcome.sha256})\n`);
  } finally {
    db.close();
  }
}

try {
  reseed();
} catch (error) {
  process.stderr.write(`reseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
