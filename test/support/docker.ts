/**
 * The docker CLI, as every test harness here runs it: the integration suite,
 * the unit specs' PostgreSQL, the benchmark, the docs runner and CI's
 * clean-up. Plain TypeScript with ES module syntax, so that jest (through
 * ts-jest) and Node's own type stripping (the .mts scripts) both load it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The folder of compose.yaml: every harness runs from the repository, whichever subfolder it starts in. */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'compose.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no compose.yaml above ${from}: run the tests from the repository`);
  }
}

export const REPO_ROOT = findRepoRoot(process.cwd());

export interface DockerOptions {
  /** Variables added to this process's environment, such as compose.yaml's tunables. */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Runs `docker ARGS` from the repository root and returns its stdout. A
 * failure throws an error that names the command and ends with its stderr;
 * the error keeps the exit `code`, `stdout` and `stderr` for specs that expect a refusal.
 */
export async function docker(
  args: readonly string[],
  { env, timeoutMs = DEFAULT_TIMEOUT_MS, signal }: DockerOptions = {},
): Promise<string> {
  try {
    const { stdout } = await run('docker', [...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      signal,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const failure = error as {
      code?: number | string;
      stdout?: string;
      stderr?: string;
      killed?: boolean;
      message: string;
    };
    const why = failure.killed
      ? `stopped after ${timeoutMs} ms`
      : (failure.stderr ?? '').trim().split('\n').slice(-40).join('\n');
    throw Object.assign(new Error(`docker ${args.join(' ')} failed: ${why || failure.message}`), {
      code: failure.code,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? '',
    });
  }
}

/** `docker compose -p PROJECT -f FILE…` with `args`; files are relative to the repository root. */
export function compose(
  project: string,
  files: readonly string[],
  args: readonly string[],
  options?: DockerOptions,
): Promise<string> {
  return docker(
    ['compose', '-p', project, ...files.flatMap((file) => ['-f', join(REPO_ROOT, file)]), ...args],
    options,
  );
}

export async function inspect<T = any>(kind: 'container' | 'network' | 'volume', name: string): Promise<T> {
  return JSON.parse(await docker([kind, 'inspect', name]))[0] as T;
}

/** The JSON lines among a service's or a container's log lines; other lines (Nest's boot banner) are skipped. */
export function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

/** Everything a container wrote to stdout and stderr, as the engine keeps it. */
export async function containerLogs(container: string): Promise<string> {
  const { stdout, stderr } = await run('docker', ['logs', container], { maxBuffer: 64 * 1024 * 1024 });
  return `${stdout}\n${stderr}`;
}

/** Calls `read` until it returns something other than undefined, or the time is up (then undefined). */
export async function eventually<T>(
  read: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  intervalMs = 250,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the container's healthcheck reports healthy, for at most `timeoutMs`. */
export async function waitHealthy(container: string, timeoutMs = 60_000): Promise<void> {
  const status = async () => (await docker(['inspect', '--format', '{{.State.Health.Status}}', container])).trim();
  const healthy = await eventually(async () => ((await status()) === 'healthy' ? true : undefined), timeoutMs, 500);
  if (!healthy) throw new Error(`${container} is ${await status()} after ${timeoutMs} ms, not healthy`);
}
