import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment } from 'testcontainers';

const run = promisify(execFile);

export const REPO_ROOT = resolve(__dirname, '../../..');
export const SEED_FILE = join(REPO_ROOT, 'data/seed/accounts.json');
const COMPOSE_FILE = join(REPO_ROOT, 'compose.yaml');
/** Fixed so that .ci/run can take the stack down if a run is killed. */
export const PROJECT = process.env.INTEGRATION_PROJECT ?? 'accounts-stack-it';
const PROXY_CONTAINER_PORT = 8080;

export type StackStore = 'sqlite' | 'postgres';
/**
 * The store every stack of this run uses: `STACK_STORE=postgres` runs the
 * same specs on compose.postgres.yaml (`npm run test:integration:postgres`).
 */
export const STACK_STORE: StackStore = process.env.STACK_STORE === 'postgres' ? 'postgres' : 'sqlite';
const STORE_OVERRIDES: Record<StackStore, readonly string[]> = { sqlite: [], postgres: ['compose.postgres.yaml'] };

/** A running copy of compose.yaml, reached the way a user reaches it: the published proxy port. */
export interface Stack {
  readonly compose: StartedDockerComposeEnvironment;
  /** The published proxy port on 127.0.0.1; it changes after `down` and `up`. */
  readonly baseUrl: string;
  /** A private copy of the seed folder, bind-mounted into the api in place of data/seed. */
  readonly seedFile: string;
  readonly project: string;
  readonly store: StackStore;
  /** `docker compose` on this stack, with the same file and environment it was started with. */
  composeCli(...args: string[]): Promise<string>;
  /** `docker compose down` (with `-v` when asked) and `up -d --wait` again, as a user would. */
  recreate(options?: { removeVolumes?: boolean; upArgs?: string[] }): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** More variables for compose.yaml, such as a lower rate limit. */
  readonly env?: Record<string, string>;
  /** Override files applied after compose.yaml, relative to the repository root. */
  readonly overrides?: readonly string[];
}

export async function startStack({ env = {}, overrides = [] }: StackOptions = {}): Promise<Stack> {
  const seedDir = mkdtempSync(join(tmpdir(), 'accounts-seed-'));
  // mkdtemp makes the folder private to this user; the api runs as another one.
  chmodSync(seedDir, 0o755);
  const seedFile = join(seedDir, 'accounts.json');
  copyFileSync(SEED_FILE, seedFile);

  // Port 0: the engine picks a free host port, so a stack on 5000 can keep running.
  const environment = { PROXY_PORT: '0', SEED_DIR: seedDir, ...env };
  const files = [basename(COMPOSE_FILE), ...STORE_OVERRIDES[STACK_STORE], ...overrides];
  let compose: StartedDockerComposeEnvironment;
  try {
    compose = await new DockerComposeEnvironment(REPO_ROOT, files)
      .withProjectName(PROJECT)
      .withBuild()
      .withEnvironment(environment)
      .withStartupTimeout(150_000)
      .up();
  } catch (error) {
    rmSync(seedDir, { recursive: true, force: true });
    throw error;
  }

  const port = compose.getContainer('proxy-1').getMappedPort(PROXY_CONTAINER_PORT);
  const stack = {
    compose,
    baseUrl: `http://127.0.0.1:${port}`,
    seedFile,
    project: PROJECT,
    store: STACK_STORE,
    async composeCli(...args: string[]) {
      const fileArgs = files.flatMap((file) => ['-f', join(REPO_ROOT, file)]);
      const { stdout } = await run('docker', ['compose', '-p', PROJECT, ...fileArgs, ...args], {
        env: { ...process.env, ...environment },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    },
    async recreate({ removeVolumes = false, upArgs = [] }: { removeVolumes?: boolean; upArgs?: string[] } = {}) {
      await stack.composeCli('down', '--timeout', '10', ...(removeVolumes ? ['--volumes'] : []));
      await stack.composeCli('up', '-d', '--wait', ...upArgs);
      // `port` prints 0.0.0.0:PORT; only the port is used, always on loopback.
      const published = (await stack.composeCli('port', 'proxy', String(PROXY_CONTAINER_PORT))).trim();
      stack.baseUrl = `http://127.0.0.1:${published.split(':').at(-1)}`;
    },
    async stop() {
      await compose.down({ removeVolumes: true, timeout: 10_000 });
      rmSync(seedDir, { recursive: true, force: true });
    },
  };
  return stack;
}

// Building both images on a cold machine takes minutes.
const STARTUP_TIMEOUT_MS = 600_000;

/** Starts one stack for the calling spec file, and takes it down after the file's tests. */
export function useStack(options: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };
}

/** Runs the docker CLI and returns stdout; the test fails with stderr if it fails. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function inspect<T = any>(kind: 'container' | 'network', name: string): Promise<T> {
  return JSON.parse(await docker(kind, 'inspect', name))[0] as T;
}

/** The JSON lines a container wrote to stdout and stderr; other lines are skipped. */
export async function jsonLogLines(container: string): Promise<Record<string, any>[]> {
  const { stdout, stderr } = await run('docker', ['logs', container], { maxBuffer: 64 * 1024 * 1024 });
  return `${stdout}\n${stderr}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
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
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the container's healthcheck reports healthy, for at most `timeoutMs`. */
export async function waitHealthy(container: string, timeoutMs = 60_000): Promise<void> {
  const status = () => docker('inspect', '--format', '{{.State.Health.Status}}', container).then((s) => s.trim());
  const healthy = await eventually(async () => ((await status()) === 'healthy' ? true : undefined), timeoutMs, 500);
  if (!healthy) throw new Error(`${container} is ${await status()} after ${timeoutMs} ms, not healthy`);
}
