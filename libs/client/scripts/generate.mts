/**
 * `npm run client:generate` writes libs/client/openapi.json and
 * libs/client/src/schema.ts from the document the built api serves;
 * `npm run client:check` (`--check`) writes nothing and exits 1 when either
 * committed file differs from what the api serves now.
 *
 * The api runs as it does in its container, from dist: its DTOs need the
 * decorator metadata that Node's type stripping does not emit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import getPort from 'get-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { describeStale, renderClientFiles, staleClientFiles, writeClientFiles } from './client-files.ts';

const { values: args } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const CLIENT_ROOT = join(import.meta.dirname, '..');
const REPO_ROOT = join(CLIENT_ROOT, '../..');
const API_MAIN = join(REPO_ROOT, 'dist/apps/accounts-api/main.js');
const START_TIMEOUT_MS = 30_000;

/** The api on a throwaway SQLite store, for as long as it takes to read its document. */
async function servedDocument(): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-client-'));
  const port = await getPort({ host: '127.0.0.1' });
  const child = spawn(process.execPath, [API_MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      SEED_FILE: join(REPO_ROOT, 'data/seed/accounts.json'),
      STORE_URL: `sqlite:${join(dir, 'accounts.db')}`,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the api exited with ${child.exitCode}: ${stderr.trim()}`);
      const response = await fetch(`http://127.0.0.1:${port}/openapi.json`).catch(() => undefined);
      if (response?.ok) return await response.json();
      await sleep(100);
    }
    throw new Error(`the api did not serve /openapi.json within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const files = await renderClientFiles(await servedDocument());
if (args.check) {
  const stale = await staleClientFiles(files, CLIENT_ROOT);
  if (stale.length > 0) {
    process.stderr.write(`client:check: ${describeStale(stale)}\n`);
    process.exit(1);
  }
  process.stderr.write('client:check: libs/client matches the api\n');
} else {
  await writeClientFiles(files, CLIENT_ROOT);
  process.stderr.write('client:generate: wrote libs/client/openapi.json and libs/client/src/schema.ts\n');
}
