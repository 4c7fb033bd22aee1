/**
 * `npm run test:mutation`: StrykerJS over the domain, rules, idempotency and
 * store code (stryker.config.mjs), with the unit specs as its tests.
 *
 * The store specs need a PostgreSQL, and jest's globalSetup starts one per jest
 * run; Stryker runs jest once per mutant. So this starts one PostgreSQL for the
 * whole mutation run, passes it to Stryker as TEST_POSTGRES_URL (which makes
 * the globalSetup start nothing, see test/unit/
 * postgres-container.ts), stops it after, and exits with Stryker's exit code:
 * non-zero when the score is under `thresholds.break`.
 *
 * Arguments are passed on to `stryker run`, e.g.
 * `node test/mutation/run.mts --mutate apps/accounts-api/src/accounts/account-rules.ts`.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// No reaper image without a registry; the loopback host for a local engine.
import '../support/testcontainers-env.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function runStryker(env: NodeJS.ProcessEnv): Promise<number> {
  // The package's exports do not include its bin; package.json names it there.
  const stryker = join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
  const child = spawn(process.execPath, [stryker, 'run', ...process.argv.slice(2)], {
    cwd: ROOT,
    env,
    stdio: 'inherit',
  });
  // Ctrl-C reaches Stryker too (same process group); wait for it to end, then clean up.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

const started = Date.now();
// Two Stryker workers, each running the store specs with their own pools and databases.
const postgres = await startPostgresServer(300);
let status: number;
try {
  status = await runStryker({ ...process.env, TEST_POSTGRES_URL: postgres.url });
} finally {
  await postgres.container.stop({ timeout: 5_000 });
}
console.log(`mutation run: ${Math.round((Date.now() - started) / 1000)} s, stryker exit code ${status}`);
process.exit(status);
