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

/** A running copy of compose.yaml, reached the way a user reaches it: the published proxy port. */
export interface Stack {
  readonly compose: StartedDockerComposeEnvironment;
  readonly baseUrl: string;
  /** A private copy of the seed folder, bind-mounted into the api in place of data/seed. */
  readonly seedFile: string;
  readonly project: string;
  /** `docker compose` on this stack, with the same file and environment it was started with. */
  composeCli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const seedDir = mkdtempSync(join(tmpdir(), 'accounts-seed-'));
  // mkdtemp makes the folder private to this user; the api runs as another one.
  chmodSync(seedDir, 0o755);
  const seedFile = join(seedDir, 'accounts.json');
  copyFileSync(SEED_FILE, seedFile);

  // Port 0: the engine picks a free host port, so a stack on 5000 can keep running.
  const environment = { PROXY_PORT: '0', SEED_DIR: seedDir };
  let compose: StartedDockerComposeEnvironment;
  try {
    compose = await new DockerComposeEnvironment(REPO_ROOT, basename(COMPOSE_FILE))
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
  return {
    compose,
    baseUrl: `http://127.0.0.1:${port}`,
    seedFile,
    project: PROJECT,
    async composeCli(...args: string[]) {
      const { stdout } = await run('docker', ['compose', '-p', PROJECT, '-f', COMPOSE_FILE, ...args], {
        env: { ...process.env, ...environment },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    },
    async stop() {
      await compose.down({ removeVolumes: true, timeout: 10_000 });
      rmSync(seedDir, { recursive: true, force: true });
    },
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

/** Polls the container's healthcheck until it reports healthy, for at most `timeoutMs`. */
export async function waitHealthy(container: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = '';
  while (Date.now() < deadline) {
    status = (await docker('inspect', '--format', '{{.State.Health.Status}}', container)).trim();
    if (status === 'healthy') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${container} is ${status || 'unknown'} after ${timeoutMs} ms, not healthy`);
}
