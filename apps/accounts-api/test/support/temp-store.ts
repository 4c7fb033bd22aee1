import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrations';

/** A migrated store in a fresh temporary folder: a real file, so WAL and locking behave as in the container. */
export function tempStore(busyTimeoutMs = 200): { db: Database; file: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-store-'));
  const file = join(dir, 'accounts.db');
  const db = new Database(file, busyTimeoutMs);
  migrate(db);
  return {
    db,
    file,
    dispose() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
