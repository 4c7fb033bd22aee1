import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compose,
  docker,
  inspect,
  quietly,
  containerLogs,
  jsonLines,
  REPO_ROOT,
  type ComposeOptions,
  type Json,
  type RunOptions,
} from '../support/docker.ts';
import { devCerts, postgresTlsEnv } from '../support/dev-certs.ts';
import { imageLabelEnv } from '../support/image-labels.ts';
import { composeFiles, PROJECTS, type StackStore } from '../support/projects.ts';
import { generateKey } from '../../apps/accounts-api/src/auth/api-key.ts';
import { bearer, type Api } from '../support/http.ts';
import { freePort } from '../support/raw-http.ts';

export { docker, eventually, inspect, REPO_ROOT, waitHealthy } from '../support/docker.ts';
export type { StackStore } from '../support/projects.ts';

export const SEED_FILE = join(REPO_ROOT, 'data/seed/accounts.json');
/** Fixed, and named in test/support/projects.ts, so that CI can take the stack down if a run is killed. */
export const PROJECT = PROJECTS.integration;
const PROXY_CONTAINER_PORT = 8080;
// Building both images on a cold machine takes minutes; then compose.yaml's healthchecks pass within this.
const STARTUP_TIMEOUT_MS = 600_000;
const UP_WAIT_S = 150;

/**
 * The store every stack of this run uses: `STACK_STORE=postgres` runs the
 * same specs on compose.postgres.yaml (`npm run test:stack:postgres`).
 */
export const STACK_STORE: StackStore = process.env.STACK_STORE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A running copy of compose.yaml, reached the way a user reaches it: the
 * published proxy port. As an Api it calls with its admin key.
 */
export interface Stack extends Api {
  /** The stack's containers by compose name (`api-1`), as they were after the start or the last recreate(). */
  readonly compose: StackContainers;
  /** The published proxy port on 127.0.0.1; it changes after `down` and `up`. */
  readonly baseUrl: string;
  /**
   * The published HTTPS port on 127.0.0.1 (PROXY_TLS_PORT, fixed for the
   * stack's life, as the proxy names it in its redirects); served when the
   * proxy_tls secret (PROXY_TLS_DIR, the dev certificates by default) has a certificate.
   */
  readonly tlsUrl: string;
  /** The development CA's certificate file that signed the proxy's: trust it to call tlsUrl (`curl --cacert`). */
  readonly caFile: string;
  /** A private copy of the seed folder, bind-mounted into the api in place of data/seed. */
  readonly seedFile: string;
  /** The admin key the stack started with, as a bootstrap secret (BOOTSTRAP_ADMIN_KEY_FILE). */
  readonly adminKey: string;
  readonly project: string;
  readonly store: StackStore;
  /** `docker compose ARGS` on this stack, with the same files and environment it was started with, and `options.env` over it. */
  composeCli(args: readonly string[], options?: RunOptions): Promise<string>;
  /** A new key made with `dist/cli/keys.js create` in an api container; its answer's last line. */
  createKey(name: string, scope: 'read' | 'write' | 'admin'): Promise<string>;
  /** `docker compose down` (with `-v` when asked) and `up -d --wait` again, as a user would. */
  recreate(options?: { removeVolumes?: boolean; upArgs?: string[] }): Promise<void>;
  stop(): Promise<void>;
}

/** The lookup testcontainers' compose environment offered, kept for the specs: `getContainer('api-1').getId()`. */
export interface StackContainers {
  getContainer(name: string): { getId(): string };
}

/** Every container of the project, by compose name (`<service>-<index>`), from `docker compose ps`. */
async function containersOf(options: ComposeOptions): Promise<StackContainers> {
  const rows = (await compose(['ps', '--all', '--format', '{{.Name}} {{.ID}}'], options)).trim().split('\n');
  const ids = new Map(
    rows.filter(Boolean).map((row) => {
      const [name, id] = row.split(' ');
      return [name.slice(`${options.project}-`.length), id] as const;
    }),
  );
  return {
    getContainer(name) {
      const id = ids.get(name);
      if (!id) throw new Error(`no container ${name} in ${options.project}: ${[...ids.keys()].join(', ')}`);
      return { getId: () => id };
    },
  };
}

/** The published proxy port, always on loopback (PROXY_BIND): `port` prints 127.0.0.1:PORT. */
async function proxyUrl(options: ComposeOptions): Promise<string> {
  const published = (await compose(['port', 'proxy', String(PROXY_CONTAINER_PORT)], options)).trim();
  return `http://127.0.0.1:${published.split(':').at(-1)}`;
}

export interface StackOptions {
  /** More variables for compose.yaml, such as a lower rate limit. */
  readonly env?: Record<string, string>;
  /** Override files applied after compose.yaml, relative to the repository root. */
  readonly overrides?: readonly string[];
}

/** Starts compose.yaml (and the store's and the caller's overrides) under PROJECT, with a seed copy and an admin key of its own. */
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
  // The HTTPS port is picked here instead: the proxy's redirects must name it.
  // The images are labelled with this checkout's commit, as a release build labels them.
  const certs = await devCerts();
  const tlsPort = env.PROXY_TLS_PORT ?? String(await freePort());
  const environment = {
    PROXY_PORT: '0',
    PROXY_TLS_PORT: tlsPort,
    PROXY_TLS_DIR: certs.proxyDir,
    SEED_DIR: seedDir,
    BOOTSTRAP_ADMIN_KEY_FILE: adminKeyFile,
    ...imageLabelEnv(),
    // compose.postgres.yaml needs the server's certificate: a CA of this run's own.
    ...(STACK_STORE === 'postgres' ? await postgresTlsEnv() : {}),
    ...env,
  };
  const onStack: ComposeOptions = {
    project: PROJECT,
    files: composeFiles(STACK_STORE, ...overrides),
    env: environment,
  };
  // Through the CLI, as every later step (scale, recreate, down) is: one way
  // to drive a stack, and `--wait` waits for compose.yaml's own healthchecks.
  const up = (args: readonly string[] = []) =>
    compose(['up', '--detach', '--wait', '--wait-timeout', String(UP_WAIT_S), ...args], {
      ...onStack,
      timeoutMs: STARTUP_TIMEOUT_MS,
    });
  const down = (removeVolumes: boolean) =>
    compose(['down', '--remove-orphans', '--timeout', '10', ...(removeVolumes ? ['--volumes'] : [])], onStack);
  try {
    // A run killed half-way leaves its stack behind under the same name.
    await down(true);
    await up(['--build']);
  } catch (error) {
    await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], { ...onStack, quiet: true });
    cleanUp();
    throw error;
  }

  const stack = {
    compose: await containersOf(onStack),
    baseUrl: await proxyUrl(onStack),
    tlsUrl: `https://127.0.0.1:${tlsPort}`,
    caFile: certs.ca,
    seedFile,
    adminKey,
    headers: bearer(adminKey),
    project: PROJECT,
    store: STACK_STORE,
    composeCli(args: readonly string[], options?: RunOptions) {
      return compose(args, { ...onStack, ...options, env: { ...onStack.env, ...options?.env } });
    },
    async createKey(name: string, scope: string) {
      const out = await stack.composeCli([
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
      ]);
      return out.trimEnd().split('\n').at(-1)!;
    },
    async recreate({ removeVolumes = false, upArgs = [] }: { removeVolumes?: boolean; upArgs?: string[] } = {}) {
      await down(removeVolumes);
      await up(upArgs);
      stack.compose = await containersOf(onStack);
      stack.baseUrl = await proxyUrl(onStack);
    },
    async stop() {
      await down(true);
      cleanUp();
    },
  };
  return stack;
}

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

/**
 * How late an access line may reach `docker logs`: nginx and the api both
 * write them in batches, flushed each second (nginx.conf's `flush=1s`) and
 * each half second (the api's logger.ts), and Docker's log pipe adds a
 * moment. Read a log for lines that must be absent only after this.
 */
export const ACCESS_LOG_DELAY_MS = 2_000;

/** nginx's last error and warning lines, which say why requests failed (reset, refused, timed out): read them before the stack comes down. */
export async function proxyErrors(stack: Stack, last = 20): Promise<string> {
  const log = await stack.composeCli(['logs', '--no-log-prefix', 'proxy']);
  return log
    .split('\n')
    .filter((line) => / \[(error|warn)\] /.test(line))
    .slice(-last)
    .join('\n');
}

/**
 * SQL as PostgreSQL's superuser, over the postgres container's socket (the
 * administrator's way in, with compose.postgres.yaml): its rows, unaligned,
 * one per line.
 */
export async function asSuperuser(stack: Stack, query: string): Promise<string> {
  const psql = ['psql', '-U', 'accounts', '-d', 'accounts', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', query];
  return (await stack.composeCli(['exec', '-T', 'postgres', ...psql])).trim();
}

/** The JSON lines a container wrote to stdout and stderr. */
export async function jsonLogLines(container: string): Promise<Record<string, Json>[]> {
  return jsonLines(await containerLogs(container));
}

/** A client container on a stack's edge network, where the proxy is `http://proxy:8080`. */
export interface EdgeClient {
  /** Its address on the edge network: the client address nginx sees. */
  readonly ip: string;
  /** `node -e SCRIPT` in it; its stdout. */
  node(script: string, timeoutMs?: number): Promise<string>;
  remove(): Promise<void>;
}

/**
 * What a stack needs for edgeClient's calls: they name the proxy by its
 * service name, a Host nginx serves only when PROXY_SERVER_NAMES lists it.
 */
export const EDGE_CLIENT_ENV = { PROXY_SERVER_NAMES: 'localhost 127.0.0.1 ::1 proxy' } as const;

/**
 * Starts a container of the stack's api image (for its Node) on the stack's
 * edge network: a client with an address of its own, as every request from
 * the host arrives at nginx from one address. The caller removes it.
 */
export async function edgeClient(stack: Stack): Promise<EdgeClient> {
  const network = `${stack.project}_edge`;
  const image = (await inspect<{ Config: { Image: string } }>('container', stack.compose.getContainer('api-1').getId()))
    .Config.Image;
  const id = (
    await docker([
      'run',
      '--detach',
      '--network',
      network,
      '--read-only',
      '--cap-drop',
      'ALL',
      image,
      '-e',
      'setInterval(() => {}, 60_000)',
    ])
  ).trim();
  const inspected = await inspect<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>(
    'container',
    id,
  );
  return {
    ip: inspected.NetworkSettings.Networks[network].IPAddress,
    node: (script, timeoutMs) => docker(['exec', id, 'node', '-e', script], { timeoutMs }),
    remove: async () => {
      await quietly(['rm', '--force', id]);
    },
  };
}
