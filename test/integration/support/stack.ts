import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment } from 'testcontainers';
import {
  compose as composeIn,
  containerLogs,
  docker as dockerCli,
  jsonLines,
  REPO_ROOT,
} from '../../support/docker.ts';
import { imageLabelEnv } from '../../support/image-labels.ts';
import { composeFiles, PROJECTS, type StackStore } from '../../support/projects.ts';
import { generateKey } from '../../../apps/accounts-api/src/auth/api-key.ts';
import { bearer, type Api } from './http.ts';

export { eventually, inspect, REPO_ROOT, waitHealthy } from '../../support/docker.ts';
export type { StackStore } from '../../support/projects.ts';

export const SEED_FILE = join(REPO_ROOT, 'data/seed/accounts.json');
/** Fixed, and named in test/support/projects.ts, so that CI can take the stack down if a run is killed. */
export const PROJECT = PROJECTS.integration;
const PROXY_CONTAINER_PORT = 8080;

/**
 * The store every stack of this run uses: `STACK_STORE=postgres` runs the
 * same specs on compose.postgres.yaml (`npm run test:integration:postgres`).
 */
export const STACK_STORE: StackStore = process.env.STACK_STORE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A running copy of compose.yaml, reached the way a user reaches it: the
 * published proxy port. As an Api it calls with its admin key.
 */
export interface Stack extends Api {
  readonly compose: StartedDockerComposeEnvironment;
  /** The published proxy port on 127.0.0.1; it changes after `down` and `up`. */
  readonly baseUrl: string;
  /** A private copy of the seed folder, bind-mounted into the api in place of data/seed. */
  readonly seedFile: string;
  /** The admin key the stack started with, as a bootstrap secret (BOOTSTRAP_ADMIN_KEY_FILE). */
  readonly adminKey: string;
  readonly project: string;
  readonly store: StackStore;
  /** `docker compose` on this stack, with the same file and environment it was started with. */
  composeCli(...args: string[]): Promise<string>;
  /** A new key made with `dist/cli/keys.js create` in an api container; its answer's last line. */
  createKey(name: string, scope: 'read' | 'write' | 'admin'): Promise<string>;
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
  // Compose bind-mounts a secret's file as it is: readable by the api's user
  // inside, in a folder only this user opens outside.
  const secretsDir = mkdtempSync(join(tmpdir(), 'accounts-secrets-'));
  const adminKey = generateKey();
  const adminKeyFile = join(secretsDir, 'admin-key');
  writeFileSync(adminKeyFile, `${adminKey}\n`, { mode: 0o644 });
  const cleanUp = () => {
    rmSync(seedDir, { recursive: true, force: true });
    rmSync(secretsDir, { recursive: true, force: true });
  };

  // Port 0: the engine picks a free host port, so a stack on 5000 can keep running.
  // The images are labelled with this checkout's commit, as a release build labels them.
  const environment = {
    PROXY_PORT: '0',
    SEED_DIR: seedDir,
    BOOTSTRAP_ADMIN_KEY_FILE: adminKeyFile,
    ...imageLabelEnv(),
    ...env,
  };
  const files = composeFiles(STACK_STORE, ...overrides);
  let compose: StartedDockerComposeEnvironment;
  try {
    compose = await new DockerComposeEnvironment(REPO_ROOT, files)
      .withProjectName(PROJECT)
      .withBuild()
      .withEnvironment(environment)
      .withStartupTimeout(150_000)
      .up();
  } catch (error) {
    cleanUp();
    throw error;
  }

  const port = compose.getContainer('proxy-1').getMappedPort(PROXY_CONTAINER_PORT);
  const stack = {
    compose,
    baseUrl: `http://127.0.0.1:${port}`,
    seedFile,
    adminKey,
    headers: bearer(adminKey),
    project: PROJECT,
    store: STACK_STORE,
    composeCli(...args: string[]) {
      return composeIn(PROJECT, files, args, { env: environment });
    },
    async createKey(name: string, scope: string) {
      const out = await stack.composeCli(
        'exec',
        '-T',
        'api',
        'node',
        'dist/cli/keys.js',
        'create',
        '--name',
        name,
        '--scope',
        scope,
      );
      return out.trimEnd().split('\n').at(-1)!;
    },
    async recreate({ removeVolumes = false, upArgs = [] }: { removeVolumes?: boolean; upArgs?: string[] } = {}) {
      await stack.composeCli('down', '--timeout', '10', ...(removeVolumes ? ['--volumes'] : []));
      await stack.composeCli('up', '-d', '--wait', ...upArgs);
      // `port` prints 127.0.0.1:PORT (PROXY_BIND); only the port is used, always on loopback.
      const published = (await stack.composeCli('port', 'proxy', String(PROXY_CONTAINER_PORT))).trim();
      stack.baseUrl = `http://127.0.0.1:${published.split(':').at(-1)}`;
    },
    async stop() {
      await compose.down({ removeVolumes: true, timeout: 10_000 });
      cleanUp();
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

/** `docker ARGS…`: the shared CLI runner (test/support/docker.ts), spread for the specs' brevity. */
export function docker(...args: string[]): Promise<string> {
  return dockerCli(args);
}

/** The JSON lines a container wrote to stdout and stderr. */
export async function jsonLogLines(container: string): Promise<Record<string, any>[]> {
  return jsonLines(await containerLogs(container));
}
