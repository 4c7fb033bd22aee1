import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../apps/accounts-api/src/auth/api-key.ts';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { devCerts, postgresTlsEnv } from '../test/support/dev-certs.ts';
import { compose, docker, REPO_ROOT, type ComposeOptions, type RunOptions } from '../test/support/docker.ts';
import { composeFiles, PROJECTS, type StackStore } from '../test/support/projects.ts';

export { REPO_ROOT };
/** The stack's compose project; the peers' (below) is the only other one the benchmark touches. */
export const PROJECT = PROJECTS.bench;
const BENCH_OVERRIDE = 'docker/bench/compose.bench.yaml';
const BACKUP_OVERRIDE = 'compose.postgres.backup.yaml';
const PEERS_PROJECT = PROJECTS.benchPeers;
const PEERS_FILE = 'docker/bench/compose.peers.yaml';

/** The store the stack runs on, from the next `up` on; the bench measures SQLite, then PostgreSQL. */
let store: StackStore = 'sqlite';
/** Whether the stack runs compose.postgres.backup.yaml too (PostgreSQL only), from the next `up` on. */
let backups = false;
export function useBackups(on: boolean): void {
  if (on && store !== 'postgres')
    throw new Error('backups are compose.postgres.backup.yaml: switch to PostgreSQL first');
  backups = on;
}

/** The proxy's certificate, from useCerts() on, and compose.postgres.yaml's from the first switch to PostgreSQL. */
let tlsEnv: Record<string, string> = {};
export async function useStore(next: StackStore): Promise<void> {
  if (next === 'postgres') tlsEnv = { ...tlsEnv, ...(await postgresTlsEnv()) };
  store = next;
}

/**
 * Gives the stack's proxy a development certificate, so that HTTPS is
 * measured beside plain HTTP, and trusts its CA in this process, whose
 * fetch() checks each endpoint's status before wrk loads it (wrk itself
 * verifies nothing). The engine picks the HTTPS port, as it does 8080's.
 */
export async function useCerts(): Promise<void> {
  const certs = await devCerts();
  tlsEnv = { ...tlsEnv, PROXY_TLS_DIR: certs.proxyDir, PROXY_TLS_PORT: '0' };
  setDefaultCACertificates([...getCACertificates('default'), readFileSync(certs.ca, 'utf8')]);
}
const COMMAND_TIMEOUT_MS = 120_000;

/**
 * The admin key every bench stack starts with, handed in as the bootstrap
 * secret: the measured routes other than POST / need a key, and checking it
 * is part of what a request costs.
 */
export const BENCH_KEY = generateKey();
const secretsDir = mkdtempSync(join(tmpdir(), 'accounts-bench-'));
const keyFile = join(secretsDir, 'admin-key');
// Compose bind-mounts the file as it is: readable by the api's user, in a folder only this user opens.
writeFileSync(keyFile, `${BENCH_KEY}\n`, { mode: 0o644 });
process.once('exit', () => rmSync(secretsDir, { recursive: true, force: true }));

/**
 * The compose environment is pinned where it changes the figures, so that a
 * `.env` beside compose.yaml cannot make one run log more than another.
 * Base image overrides (NODE_IMAGE, NGINX_IMAGE) still pass through.
 */
const COMPOSE_ENV = { LOG_LEVEL: 'info', BOOTSTRAP_ADMIN_KEY_FILE: keyFile };

export interface CommandOptions extends RunOptions {
  /** Another store's files than the current one's, such as every file for a tear-down. */
  store?: StackStore;
  /** compose.postgres.backup.yaml or not, whatever useBackups() said. */
  backups?: boolean;
}

/**
 * The runner's options for a command on the bench stack: compose.yaml, the
 * store's override, then the bench override, with the pinned environment.
 */
export function onStack({
  store: storeOverride,
  backups: backupsOverride,
  env,
  timeoutMs = COMMAND_TIMEOUT_MS,
  ...options
}: CommandOptions = {}): ComposeOptions {
  return {
    ...options,
    project: PROJECT,
    files: composeFiles(
      storeOverride ?? store,
      ...((backupsOverride ?? backups) ? [BACKUP_OVERRIDE] : []),
      BENCH_OVERRIDE,
    ),
    env: { ...COMPOSE_ENV, ...tlsEnv, ...env },
    timeoutMs,
  };
}

/**
 * The same for the peers' project. BENCH_PROXY_IMAGE, once set, is the
 * image ID that the stack's proxy runs, for the peers' proxy to run too.
 */
let peersProxyImage: string | undefined;
export function onPeers({ env, timeoutMs = COMMAND_TIMEOUT_MS, ...options }: RunOptions = {}): ComposeOptions {
  return {
    ...options,
    project: PEERS_PROJECT,
    files: [PEERS_FILE],
    env: { ...COMPOSE_ENV, ...(peersProxyImage ? { BENCH_PROXY_IMAGE: peersProxyImage } : {}), ...env },
    timeoutMs,
  };
}

async function published(on: ComposeOptions, service: string, containerPort: number, index: number): Promise<string> {
  const binding = (await compose(['port', '--index', String(index), service, String(containerPort)], on)).trim();
  const port = /:(\d+)$/.exec(binding)?.[1];
  if (!port) throw new Error(`${service} #${index} publishes no port for ${containerPort} (got '${binding}')`);
  return `http://127.0.0.1:${port}`;
}

/** The address the engine published for a service's container port, as a loopback URL. */
export function publishedUrl(service: string, containerPort: number, index = 1): Promise<string> {
  return published(onStack(), service, containerPort, index);
}

/** The proxy's published HTTPS port, as a loopback URL. */
export async function publishedTlsUrl(): Promise<string> {
  return (await publishedUrl('proxy', 8443)).replace(/^http:/, 'https:');
}

/** The same for a service of the peers' project. */
export function peerUrl(service: string, containerPort: number): Promise<string> {
  return published(onPeers(), service, containerPort, 1);
}

export async function containerIds(service: string): Promise<string[]> {
  return (await compose(['ps', '--quiet', service], onStack())).split('\n').filter(Boolean);
}

/**
 * Removes the bench project's containers, networks and volumes, on either
 * store (the PostgreSQL and backup files name every service and volume);
 * quiet when there is nothing to remove.
 */
export async function tearDown(): Promise<void> {
  await compose(
    ['down', '--volumes', '--remove-orphans', '--timeout', '5'],
    onStack({ timeoutMs: 60_000, store: 'postgres', backups: true }),
  );
}

/**
 * Builds the talk's Flask app and starts the peers, their proxy on the image
 * the stack's proxy container runs (so both are the same nginx and config).
 */
export async function startPeers(stackProxyContainer: string, signal: AbortSignal): Promise<void> {
  peersProxyImage = (
    await docker(['inspect', '--format', '{{.Image}}', stackProxyContainer], { signal, timeoutMs: COMMAND_TIMEOUT_MS })
  ).trim();
  await compose(['build', 'flask'], onPeers({ timeoutMs: 15 * 60_000, signal })).catch((error: Error) => {
    throw new Error(
      `${error.message}\n(the Flask app's base, accounts-stack/python-flask, is built by docker/offline/build-base-images.sh)`,
    );
  });
  await compose(['up', '--detach', '--wait', '--wait-timeout', '60', '--no-build'], onPeers({ signal }));
}

/** Removes the peers' containers, networks and volumes; quiet when there is nothing to remove. */
export async function tearDownPeers(): Promise<void> {
  await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], onPeers({ timeoutMs: 60_000 }));
}

interface ComposeModel {
  readonly services: Record<string, { readonly image?: string }>;
}

async function modelOf(on: ComposeOptions): Promise<ComposeModel> {
  return JSON.parse(await compose(['config', '--format', 'json'], on)) as ComposeModel;
}

/** The resolved compose model, for names that compose.yaml owns (image tags). */
export const composeModel = (signal?: AbortSignal) => modelOf(onStack({ signal }));
/** The same for the peers' project. */
export const peersModel = (signal?: AbortSignal) => modelOf(onPeers({ signal }));
