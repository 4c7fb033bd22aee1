/**
 * A real swarm of three Docker engines, each in a privileged container of
 * SWARM_NODE_IMAGE on a network of its own: node 1 is the manager (and the
 * edge, whose proxy port alone is published, on 127.0.0.1), nodes 2 and 3 are
 * workers. The stack is deployed on the manager from compose.swarm.yaml and
 * compose.swarm.backup.yaml, as an operator would, with the images copied
 * into every engine that may run them: PostgreSQL on node 3, its backups'
 * repository on node 1.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { docker, eventually, jsonLines, quietly, type Json, type RunOptions } from '../../support/docker.ts';
import { CLUSTER, SWARM_NODE_IMAGE } from '../../support/projects.ts';
import { POSTGRES_LABEL } from '../../support/swarm.ts';

export { POSTGRES_LABEL };

export const STACK = 'accounts';
export const API_SERVICE = `${STACK}_api`;
export const PROXY_SERVICE = `${STACK}_proxy`;
export const POSTGRES_SERVICE = `${STACK}_postgres`;
export const BACKUP_SERVICE = `${STACK}_backup`;
/** compose.swarm.backup.yaml places the repository on a node with this label, never on PostgreSQL's. */
export const BACKUP_LABEL = 'accounts.backup';
/** The proxy's host-mode port on each node; nodes have addresses of their own, so any free port is free there. */
const NODE_PROXY_PORT = 5000;
/** What the stack file and init-secrets.sh are run from, on the manager. */
const STACK_DIR = '/stack';
/** Repository paths the stack file may name (configs, secrets' files, the seed), copied to the manager. */
const STACK_FILES = [
  'compose.swarm.yaml',
  'compose.swarm.backup.yaml',
  'compose.swarm.unencrypted.yaml',
  'docker',
  'data',
];
const TAG = process.env.IMAGE_TAG ?? 'dev';
const IMAGES = {
  api: `accounts-stack/api:${TAG}`,
  proxy: `accounts-stack/proxy:${TAG}`,
  postgres: process.env.PGBACKREST_IMAGE ?? 'accounts-stack/postgres-pgbackrest:17',
};

/**
 * The node containers share this machine's kernel, and an encrypted overlay
 * needs its IPsec ESP and AES-GCM: without them every packet between nodes is
 * lost. Where the kernel's build configuration says they are missing, or
 * cannot be read, the stack goes on unencrypted overlays
 * (compose.swarm.unencrypted.yaml), and the run says so.
 */
function kernelDoesIpsec(): boolean {
  const config = existsSync('/proc/config.gz')
    ? gunzipSync(readFileSync('/proc/config.gz')).toString()
    : existsSync(`/boot/config-${release()}`)
      ? readFileSync(`/boot/config-${release()}`, 'utf8')
      : '';
  return /^CONFIG_INET_ESP=[ym]$/m.test(config) && /^CONFIG_CRYPTO_GCM=[ym]$/m.test(config);
}
const STACK_FILE_ARGS = [
  ...['-c', 'compose.swarm.yaml', '-c', 'compose.swarm.backup.yaml'],
  ...(kernelDoesIpsec() ? [] : ['-c', 'compose.swarm.unencrypted.yaml']),
];

/** compose.swarm.yaml's tunables for this run: the nginx rate limit would refuse one test client's 24 connections. */
const DEPLOY_ENV: Record<string, string> = {
  PROXY_PORT: String(NODE_PROXY_PORT),
  PROXY_RATE_LIMIT: 'off',
  // This suite is about replicas across nodes, loaded over the manager's
  // plain port; the one-node suite proves HTTPS and the redirect on a swarm.
  PROXY_INSECURE_HTTP: 'true',
  STACK_NAME: STACK,
  PGBACKREST_IMAGE: IMAGES.postgres,
  IMAGE_TAG: TAG,
};

export const nodeName = (n: 1 | 2 | 3) => `${CLUSTER.nodePrefix}-${n}`;
export const MANAGER = nodeName(1);
export const WORKERS = [nodeName(2), nodeName(3)] as const;
/** Where the stack starts PostgreSQL: a worker, so that losing its node leaves the swarm's manager. */
export const DATABASE_NODE = WORKERS[1];
export const NODES = [MANAGER, ...WORKERS] as const;

/** How long each step took, in order, for the report. */
export const timings: [string, number][] = [];

export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings.push([step, Date.now() - started]);
  }
}

/**
 * `docker exec` of `args` in a node container, such as the node's own docker
 * CLI: `env` and `workdir` are the command's inside the node.
 */
export function onNode(
  node: string,
  args: readonly string[],
  {
    env = {},
    workdir,
    ...options
  }: Omit<RunOptions, 'env' | 'cwd'> & { env?: Record<string, string>; workdir?: string } = {},
): Promise<string> {
  const variables = Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  const interactive = options.input === undefined ? [] : ['--interactive'];
  return docker(
    ['exec', ...interactive, ...variables, ...(workdir ? ['--workdir', workdir] : []), node, ...args],
    options,
  );
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Every node container, the network and the nodes' volumes: by label, so that a run cut short is cleaned up too. */
export async function destroyCluster(): Promise<void> {
  const containers = lines(await quietly(['ps', '--all', '--quiet', '--filter', `label=${CLUSTER.label}`]));
  // -v: the anonymous volume at /var/lib/docker holds a whole engine's images.
  // One at a time, the engine removes those volumes one after another.
  await Promise.all(containers.map((container) => quietly(['rm', '--force', '--volumes', container])));
  const networks = lines(await quietly(['network', 'ls', '--quiet', '--filter', `label=${CLUSTER.label}`]));
  if (networks.length > 0) await quietly(['network', 'rm', ...networks]);
}

/** What the harness made, so that the last spec can check it is all gone. */
export interface ClusterResources {
  readonly containers: string[];
  readonly volumes: string[];
  readonly network: string;
}

export interface Cluster {
  /** http://127.0.0.1:<port>: the manager's proxy, published on loopback only. */
  readonly baseUrl: string;
  readonly resources: ClusterResources;
}

async function waitForEngine(node: string): Promise<void> {
  const up = await eventually(
    () =>
      onNode(node, ['docker', 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }).then(
        () => true,
        () => undefined,
      ),
    60_000,
    250,
  );
  if (!up)
    throw new Error(
      `the engine in ${node} did not answer within 60 s:\n${await docker(['logs', '--tail', '30', node]).catch((e) => String(e))}`,
    );
}

const addressOn = async (node: string) =>
  (
    await docker([
      'inspect',
      '--format',
      `{{ (index .NetworkSettings.Networks "${CLUSTER.network}").IPAddress }}`,
      node,
    ])
  ).trim();

async function startNodes(): Promise<ClusterResources> {
  await docker(['network', 'create', '--label', CLUSTER.label, CLUSTER.network]);
  await Promise.all(
    NODES.map((node) =>
      docker([
        'run',
        '--detach',
        '--privileged',
        '--init',
        '--name',
        node,
        '--hostname',
        node,
        '--label',
        CLUSTER.label,
        '--network',
        CLUSTER.network,
        // The edge: its proxy port on the host's loopback, at a port the engine picks.
        ...(node === MANAGER ? ['--publish', `127.0.0.1::${NODE_PROXY_PORT}`] : []),
        SWARM_NODE_IMAGE,
      ]),
    ),
  );
  const volumes = await Promise.all(
    NODES.map(async (node) =>
      (
        await docker([
          'inspect',
          '--format',
          '{{ range .Mounts }}{{ if eq .Type "volume" }}{{ .Name }} {{ end }}{{ end }}',
          node,
        ])
      ).trim(),
    ),
  );
  await Promise.all(NODES.map(waitForEngine));
  return { containers: [...NODES], volumes: volumes.flatMap((names) => names.split(' ')), network: CLUSTER.network };
}

async function formSwarm(): Promise<void> {
  const managerAddress = await addressOn(MANAGER);
  // Heartbeats every 2 s rather than 5 s: a killed node is marked down, and its
  // tasks replaced, within seconds rather than a quarter of a minute.
  await onNode(MANAGER, [
    'docker',
    'swarm',
    'init',
    '--advertise-addr',
    managerAddress,
    '--dispatcher-heartbeat',
    '2s',
  ]);
  const token = (await onNode(MANAGER, ['docker', 'swarm', 'join-token', '--quiet', 'worker'])).trim();
  await Promise.all(
    WORKERS.map(async (worker) =>
      onNode(worker, [
        'docker',
        'swarm',
        'join',
        '--advertise-addr',
        await addressOn(worker),
        '--token',
        token,
        `${managerAddress}:2377`,
      ]),
    ),
  );
  const ready = await eventually(
    async () => {
      const states = lines(await onNode(MANAGER, ['docker', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}']));
      return states.length === NODES.length && states.every((line) => line.endsWith(' Ready')) ? true : undefined;
    },
    30_000,
    250,
  );
  if (!ready) throw new Error(`the nodes did not all become Ready: ${await onNode(MANAGER, ['docker', 'node', 'ls'])}`);
  await onNode(MANAGER, ['docker', 'node', 'update', '--label-add', `${POSTGRES_LABEL}=true`, DATABASE_NODE]);
  await onNode(MANAGER, ['docker', 'node', 'update', '--label-add', `${BACKUP_LABEL}=true`, MANAGER]);
}

/**
 * The stack's images, built from this checkout, into every engine: the api
 * and the proxy run everywhere, and PostgreSQL with pgBackRest wherever
 * PostgreSQL, its repository or a restore may go. Saved once to a file and
 * loaded into the nodes together.
 */
async function copyImages(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-cluster-images-'));
  try {
    const everywhere = join(dir, 'stack.tar');
    await docker(['save', '--output', everywhere, IMAGES.api, IMAGES.proxy, IMAGES.postgres], { timeoutMs: 600_000 });
    await Promise.all(
      NODES.map((node) =>
        onNode(node, ['docker', 'load', '--quiet'], { input: createReadStream(everywhere), timeoutMs: 600_000 }),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function copyStackFiles(): Promise<void> {
  await onNode(MANAGER, ['mkdir', '-p', STACK_DIR]);
  await Promise.all(STACK_FILES.map((path) => docker(['cp', path, `${MANAGER}:${STACK_DIR}/${path}`])));
}

export interface Task {
  readonly node: string;
  /** The container's id on that node's engine. */
  readonly container: string;
  readonly state: string;
}

/** The tasks of a service that swarm means to be running, and where they are. */
export async function runningTasks(service: string): Promise<Task[]> {
  // A task of a node that is down still shows as Running: callers filter by node.
  const out = await serviceTasks(service, '{{.Node}} {{.ID}} {{.CurrentState}}', ['desired-state=running']);
  const tasks = await Promise.all(
    lines(out).map(async (line) => {
      const [node, taskId, ...state] = line.split(' ');
      const container =
        state[0] === 'Running'
          ? (
              await onNode(MANAGER, [
                'docker',
                'inspect',
                '--format',
                '{{.Status.ContainerStatus.ContainerID}}',
                taskId,
              ])
            ).trim()
          : '';
      return { node, container, state: state.join(' ') };
    }),
  );
  return tasks;
}

/** The nodes that can run tasks: up, and not drained. */
async function liveNodes(): Promise<Set<string>> {
  const out = await onNode(MANAGER, [
    'docker',
    'node',
    'ls',
    '--format',
    '{{.Hostname}} {{.Status}} {{.Availability}}',
  ]);
  return new Set(
    lines(out)
      .filter((line) => line.endsWith(' Ready Active'))
      .map((line) => line.split(' ')[0]),
  );
}

/**
 * Until every service of the stack runs as many tasks as it wants on nodes
 * that are up (a task with a healthcheck counts once healthy: swarm keeps it
 * `Starting` until then) and `accept` holds for the api's; throws, naming
 * what it saw, when `timeoutMs` is up. `docker service ls` would not do: it
 * counts the tasks of a node that is down as running until they are removed.
 */
export async function waitConverged(
  timeoutMs: number,
  accept: (apiTasks: Task[]) => boolean = () => true,
): Promise<void> {
  let last = '';
  const done = await eventually(
    async () => {
      const live = await liveNodes();
      const want: Record<string, number> = {
        [API_SERVICE]: 3,
        [POSTGRES_SERVICE]: 1,
        [BACKUP_SERVICE]: 1,
        [PROXY_SERVICE]: live.size,
      };
      const running = await Promise.all(
        Object.keys(want).map(async (service) =>
          (await runningTasks(service)).filter((t) => live.has(t.node) && t.container),
        ),
      );
      last = Object.keys(want)
        .map(
          (service, i) =>
            `${service} ${running[i].length}/${want[service]} on ${running[i].map((t) => t.node).join(' ')}`,
        )
        .join('; ');
      return Object.values(want).every((n, i) => running[i].length === n) && accept(running[0]) ? true : undefined;
    },
    timeoutMs,
    500,
  );
  if (!done) {
    throw new Error(`the stack did not converge within ${timeoutMs} ms: ${last}\n${await taskHistory(API_SERVICE)}`);
  }
}

/** A service's tasks, the ended ones too, each with its state and the error that ended it; never throws. */
async function taskHistory(service: string): Promise<string> {
  try {
    const out = await serviceTasks(service, '{{.Name}} on {{.Node}}: {{.DesiredState}}, {{.CurrentState}} {{.Error}}');
    return `${service}'s tasks:\n${out.trim()}`;
  } catch (error) {
    return `${service}'s tasks could not be listed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `docker service ps` on the manager: a line a task, as `format` writes it. */
function serviceTasks(service: string, format: string, filters: readonly string[] = []): Promise<string> {
  return onNode(MANAGER, [
    'docker',
    'service',
    'ps',
    service,
    '--no-trunc',
    ...filters.flatMap((filter) => ['--filter', filter]),
    '--format',
    format,
  ]);
}

async function deploy(): Promise<void> {
  await onNode(MANAGER, ['docker/swarm/init-secrets.sh'], { workdir: STACK_DIR, env: DEPLOY_ENV });
  if (STACK_FILE_ARGS.length > 2)
    console.info("this kernel has no IPsec ESP or GCM: the cluster's overlays are not encrypted");
  await onNode(MANAGER, ['docker', 'stack', 'deploy', ...STACK_FILE_ARGS, STACK], {
    workdir: STACK_DIR,
    env: DEPLOY_ENV,
  });
}

/**
 * The recovery docs/reference/swarm.md ("Backups") gives for a lost database
 * node, from the manager: postgres scaled to 0, its label moved from `lost`
 * to `onto`, docker/swarm/restore.sh, postgres scaled to 1. Returns what
 * restore.sh printed.
 */
export async function restoreDatabase(lost: string, onto: string): Promise<string> {
  const onManager = (args: string[]) => onNode(MANAGER, args, { workdir: STACK_DIR, env: DEPLOY_ENV });
  await onManager(['docker', 'service', 'scale', '--detach', `${POSTGRES_SERVICE}=0`]);
  await onManager(['docker', 'node', 'update', '--label-rm', POSTGRES_LABEL, lost]);
  await onManager(['docker', 'node', 'update', '--label-add', `${POSTGRES_LABEL}=true`, onto]);
  const said = await onManager(['docker/swarm/restore.sh']);
  await onManager(['docker', 'service', 'scale', '--detach', `${POSTGRES_SERVICE}=1`]);
  return said;
}

/** Until the published proxy port answers through to an api replica. */
async function waitAnswering(baseUrl: string): Promise<void> {
  const answered = await eventually(
    () =>
      fetch(`${baseUrl}/`, { method: 'POST', signal: AbortSignal.timeout(2_000) }).then(
        (res) => (res.status === 200 ? true : undefined),
        () => undefined,
      ),
    60_000,
    250,
  );
  if (!answered) throw new Error(`${baseUrl} did not answer POST / with 200 within 60 s`);
}

export async function createCluster(): Promise<Cluster> {
  await destroyCluster();
  const [resources] = await Promise.all([
    timed('cluster up (3 engines, network)', startNodes),
    timed('docker compose build', () =>
      docker(['compose', '-f', 'compose.yaml', 'build', 'api', 'proxy'], { timeoutMs: 900_000 }),
    ),
  ]);
  await Promise.all([
    timed('swarm init and join', formSwarm),
    timed('images into the nodes', copyImages),
    copyStackFiles(),
  ]);
  await timed('stack deploy until converged', async () => {
    await deploy();
    await waitConverged(180_000);
  });
  const published = lines(await docker(['port', MANAGER, `${NODE_PROXY_PORT}/tcp`])).find((line) =>
    line.startsWith('127.0.0.1:'),
  );
  if (!published) throw new Error(`${MANAGER} publishes ${NODE_PROXY_PORT} on no loopback address`);
  const baseUrl = `http://${published}`;
  await timed('proxy answering', () => waitAnswering(baseUrl));
  return { baseUrl, resources };
}

/** An admin key, made with the api's own CLI in one of its task containers, on that task's node. */
export async function createAdminKey(name: string): Promise<string> {
  const [task] = (await runningTasks(API_SERVICE)).filter((t) => t.container);
  if (!task) throw new Error('no running api task to make a key in');
  const out = await onNode(task.node, [
    'docker',
    'exec',
    task.container,
    'node',
    'dist/cli/keys.js',
    'create',
    '--name',
    name,
    '--scope',
    'admin',
  ]);
  return lines(out).at(-1)!;
}

/** The repository's backups, as `pgbackrest info` shows them in the backup task, on its node. */
export async function backupsTaken(): Promise<{ type: string; error?: boolean }[]> {
  const [task] = (await runningTasks(BACKUP_SERVICE)).filter((t) => t.container);
  if (!task) throw new Error('no running backup task to ask');
  const info = JSON.parse(
    await onNode(task.node, ['docker', 'exec', task.container, 'pgbackrest', 'info', '--output=json']),
  ) as { backup: { type: string; error?: boolean }[] }[];
  return info[0]?.backup ?? [];
}

/** `node dist/cli/ledger.js verify` in a running api task, on its node: its line, or it rejects with the discrepancies. */
export async function verifyLedger(): Promise<string> {
  const [task] = (await runningTasks(API_SERVICE)).filter((t) => t.container);
  if (!task) throw new Error('no running api task to check the ledger in');
  return (await onNode(task.node, ['docker', 'exec', task.container, 'node', 'dist/cli/ledger.js', 'verify'])).trim();
}

/** The api's access log lines, from every running api task on every node. */
export async function apiLogLines(): Promise<{ node: string; lines: Record<string, Json>[] }[]> {
  const tasks = (await runningTasks(API_SERVICE)).filter((t) => t.container);
  return Promise.all(
    tasks.map(async (task) => ({
      node: task.node,
      lines: jsonLines(await onNode(task.node, ['docker', 'logs', task.container])),
    })),
  );
}

/**
 * What every node's proxy, api and PostgreSQL containers said about the
 * requests sent with `requestIds` (their X-Request-Id), the stopped ones
 * included, and PostgreSQL's errors: after a failed request, which replica
 * it went to, how long each hop took and what held it up. `docker logs` on
 * each node, as `docker service logs` waits on a drained node.
 */
export async function traceRequests(requestIds: readonly string[], nodes: readonly string[] = NODES): Promise<string> {
  const said = await Promise.all(
    nodes.map(async (node) => {
      const containers = lines(
        await onNode(node, [
          'docker',
          'ps',
          '--all',
          '--filter',
          `label=com.docker.stack.namespace=${STACK}`,
          '--format',
          '{{.ID}} {{.Label "com.docker.swarm.service.name"}} {{.Status}}',
        ]),
      );
      return Promise.all(
        containers.map(async (line) => {
          const [id, service] = line.split(' ');
          if (![API_SERVICE, PROXY_SERVICE, POSTGRES_SERVICE].includes(service)) return '';
          // PostgreSQL writes its log to stderr, which onNode does not return.
          const log = lines(await onNode(node, ['sh', '-c', `docker logs ${id} 2>&1`]));
          const relevant =
            service === POSTGRES_SERVICE
              ? log.filter((l) => /ERROR|FATAL|LOG: {2}(terminat|could not)/.test(l)).slice(-15)
              : log.filter((l) => requestIds.some((requestId) => l.includes(requestId)));
          return relevant.length === 0 ? '' : `${node} ${line}:\n${relevant.join('\n')}`;
        }),
      );
    }),
  );
  return said.flat().filter(Boolean).join('\n');
}

export async function nodeLabels(node: string): Promise<Record<string, string>> {
  return JSON.parse(
    await onNode(MANAGER, ['docker', 'node', 'inspect', '--format', '{{json .Spec.Labels}}', node]),
  ) as Record<string, string>;
}

/**
 * PostgreSQL's client sessions that are not idle, from inside its task: after
 * a failure, whether a session of a replica that is gone still holds row locks.
 */
export async function postgresSessions(): Promise<string> {
  const [task] = (await runningTasks(POSTGRES_SERVICE)).filter((t) => t.container);
  if (!task) return 'no running postgres task';
  const query =
    'select pid, client_addr, state, now() - xact_start as in_transaction_for, wait_event_type, left(query, 60) as query ' +
    "from pg_stat_activity where backend_type = 'client backend' and state <> 'idle' order by xact_start";
  return onNode(task.node, [
    'docker',
    'exec',
    task.container,
    'psql',
    '-U',
    'accounts',
    '-d',
    'accounts',
    '-c',
    query,
  ]).catch((error) => String(error));
}
