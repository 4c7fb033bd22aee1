import { readFileSync } from 'node:fs';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { join } from 'node:path';
import { docker, eventually, REPO_ROOT, run } from '../../support/docker';
import { SWARM } from '../../support/projects';
import { prepareSwarm, removeSwarmStack } from '../../support/swarm';
import { generateKey } from '../../../apps/accounts-api/src/auth/api-key';
import { bearer, type Api } from '../../support/http';
import { describeLoad, expectExactlyOnce, storedTransfers } from '../../support/ledger-checks.ts';
import {
  loadLoop,
  openAccount,
  settle,
  sleep,
  timedFetch,
  transferLoad,
  type FetchOutcome,
  type TransferLoad,
} from '../../support/load.ts';
import { freePort } from '../../support/raw-http.ts';

const STACK = SWARM.stack;
/** The stack with its monitoring, as docs/reference/swarm.md deploys it. */
const STACK_FILES = ['compose.swarm.yaml', 'compose.swarm.monitoring.yaml'];
const API_SERVICE = `${STACK}_api`;
const IMAGE_TAG = 'it';
const API_IMAGE = `${SWARM.imagePrefix}/api:${IMAGE_TAG}`;
const BROKEN_IMAGE = `${SWARM.imagePrefix}/api:broken`;
/** nginx re-resolves `api` every 5 s (nginx.conf); a little more and it has seen every replica. */
const DNS_REFRESH_MS = 6_000;

/** An image build from docker/'s Dockerfiles, on a cold cache. */
const BUILD_TIMEOUT_MS = 600_000;

/** Builds an image from one of docker/'s Dockerfiles, passing a base-image override such as NODE_IMAGE on. */
async function build(tag: string, dockerfile: string, baseImageArg: string): Promise<void> {
  const baseImage = process.env[baseImageArg];
  await docker(
    [
      'build',
      '--quiet',
      '--tag',
      tag,
      '--file',
      dockerfile,
      ...(baseImage ? ['--build-arg', `${baseImageArg}=${baseImage}`] : []),
      '.',
    ],
    { timeoutMs: BUILD_TIMEOUT_MS },
  );
}

const containersOf = async (service: string) =>
  (await docker(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`]))
    .split('\n')
    .filter(Boolean)
    .sort();

/** The api's tasks that swarm reports running, with their images. */
async function runningApiTasks(): Promise<{ id: string; image: string }[]> {
  const lines = await docker([
    'service',
    'ps',
    '--no-trunc',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.ID}} {{.Image}} {{.CurrentState}}',
    API_SERVICE,
  ]);
  return lines
    .split('\n')
    .filter((line) => / Running /.test(line))
    .map((line) => {
      const [id, image] = line.split(' ');
      return { id, image };
    });
}

interface UpdateStatus {
  readonly State: string;
  readonly Message: string;
}

const updateStatus = async () =>
  JSON.parse(
    await docker(['service', 'inspect', '--format', '{{json .UpdateStatus}}', API_SERVICE]),
  ) as UpdateStatus | null;

/** Waits for the api's update to end in one of `states`, through update_config's monitor window; the last status otherwise. */
async function updateEnded(states: RegExp): Promise<UpdateStatus | null> {
  const ended = await eventually(
    async () => {
      const status = await updateStatus();
      return status && states.test(status.State) ? status : undefined;
    },
    300_000,
    1_000,
  );
  return ended ?? updateStatus();
}

let api: Api;
/** The proxy's plain HTTP port, which on a swarm only redirects to HTTPS. */
let plainUrl: string;
let deployEnv: Record<string, string>;

beforeAll(async () => {
  await removeSwarmStack();
  await prepareSwarm();
  await build(API_IMAGE, 'docker/api/Dockerfile', 'NODE_IMAGE');
  await build(`${SWARM.imagePrefix}/proxy:${IMAGE_TAG}`, 'docker/proxy/Dockerfile', 'NGINX_IMAGE');

  // The operator's own bootstrap key, made before init-secrets.sh, which must keep it.
  const adminKey = generateKey();
  // A secret's value reaches the engine on stdin.
  await docker(['secret', 'create', SWARM.secrets[1], '-'], { input: `${adminKey}\n` });
  const [port, tlsPort] = [await freePort(), await freePort()];
  deployEnv = {
    STACK_NAME: STACK,
    IMAGE_PREFIX: SWARM.imagePrefix,
    IMAGE_TAG,
    PROXY_PORT: String(port),
    PROXY_TLS_PORT: String(tlsPort),
    // Every request of the load comes from one address.
    PROXY_RATE_LIMIT: 'off',
  };
  const initSecrets = await run('docker/swarm/init-secrets.sh', [], { env: deployEnv });
  expect(initSecrets.split('\n').slice(0, 7)).toEqual([
    `${STACK}_postgres_password: created`,
    `${STACK}_postgres_owner_password: created`,
    `${STACK}_postgres_api_password: created`,
    `${STACK}_bootstrap_admin_key: exists, kept`,
    `${STACK}_postgres_tls_crt, ${STACK}_postgres_tls_key, ${STACK}_postgres_ca: created, a certificate for: postgres, signed by a new CA whose key is not kept`,
    `${['postgres_crt', 'postgres_key', 'backup_crt', 'backup_key'].map((part) => `${STACK}_pgbackrest_${part}`).join(' ')}: created, for postgres and backup, signed by the same CA`,
    `${STACK}_proxy_tls_crt, ${STACK}_proxy_tls_key: created, a SELF-SIGNED certificate for: localhost 127.0.0.1 ::1`,
  ]);

  // No registry to ask for digests: every node of this swarm has the images.
  await docker(
    ['stack', 'deploy', '--resolve-image', 'never', ...STACK_FILES.flatMap((file) => ['--compose-file', file]), STACK],
    { env: deployEnv },
  );
  plainUrl = `http://127.0.0.1:${port}`;
  api = { baseUrl: `https://127.0.0.1:${tlsPort}`, headers: bearer(adminKey) };
  // The certificate init-secrets.sh made is trusted the way its message tells
  // an operator to: read back from a proxy task, for this process only.
  const certificate = await eventually(async () => {
    const [proxy] = await containersOf(`${STACK}_proxy`);
    return proxy
      ? docker(['exec', proxy, 'cat', '/run/secrets/proxy_tls/server.crt']).catch(() => undefined)
      : undefined;
  }, 180_000);
  if (!certificate) throw new Error('no proxy task showed /run/secrets/proxy_tls/server.crt within 180 s');
  setDefaultCACertificates([...getCACertificates('default'), certificate]);
  const ready = await eventually(
    async () => {
      const [tasks, answer] = await Promise.all([
        runningApiTasks(),
        timedFetch(`${api.baseUrl}/accounts`, { headers: api.headers }),
      ]);
      return tasks.length === 3 && answer.status === 200 ? true : undefined;
    },
    180_000,
    1_000,
  );
  if (!ready)
    throw new Error(`the stack did not serve within 180 s:\n${await docker(['stack', 'ps', '--no-trunc', STACK])}`);
  await sleep(DNS_REFRESH_MS);
}, 900_000);

afterAll(async () => {
  await removeSwarmStack();
}, 300_000);

/** nginx's warnings and errors, which say why a request through it failed. */
async function proxyErrors(): Promise<string> {
  const logs = await docker(['service', 'logs', '--raw', `${STACK}_proxy`], { timeoutMs: 60_000 }).catch(
    (error: Error) => error.message,
  );
  return logs
    .split('\n')
    .filter((line) => / \[(error|warn)\] /.test(line))
    .slice(-20)
    .join('\n');
}

/** Reads and keyed transfers through the proxy until `done` resolves, then the transfers' outcome in the store. */
async function underLoad(label: string, change: () => Promise<void>) {
  const opening = 1_000_000;
  const from = await openAccount(api, `${label}-from`, opening);
  const to = await openAccount(api, `${label}-to`, 0);
  let done = false;
  const [writes, reads] = await Promise.all([
    transferLoad({ api, from, to, concurrency: 3, maxAttempts: 100_000, maxDurationMs: 400_000, stop: () => done }),
    loadLoop({
      concurrency: 2,
      maxRequests: 100_000,
      maxDurationMs: 400_000,
      stop: () => done,
      send: () => timedFetch(`${api.baseUrl}/accounts/${from}`, { headers: api.headers }),
    }),
    change().finally(() => {
      done = true;
    }),
  ]);
  await settle(writes, api, from, to);
  const stored = await storedTransfers(api, from, to);
  const failedReads = reads.filter((r) => r.status !== 200);
  const failedWrites = writes.attempts.filter((a) => a.status !== 201);
  console.info(
    `${label}: reads sent ${reads.length}, failed ${failedReads.length}${kinds(failedReads)}; writes ${describeLoad(writes, stored)}`,
  );
  if (failedReads.length + failedWrites.length > 0) console.info(await proxyErrors());
  return { writes, reads, failedReads, failedWrites, stored, opening };
}

const kinds = (failed: FetchOutcome[]) =>
  failed.length ? ` (${[...new Set(failed.map((r) => r.error ?? r.status))].join(', ')})` : '';

function expectNoFailure(load: {
  writes: TransferLoad;
  reads: FetchOutcome[];
  failedReads: FetchOutcome[];
  failedWrites: FetchOutcome[];
}) {
  expect(load.reads.length).toBeGreaterThan(100);
  expect(load.writes.acknowledged.size).toBeGreaterThan(100);
  expect(load.failedReads.map(({ status, error }) => ({ status, error }))).toEqual([]);
  expect(load.failedWrites.map(({ status, error }) => ({ status, error }))).toEqual([]);
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query, asked where an operator asks it: in the Prometheus task, with its promtool (nothing is published). */
async function prometheusQuery(promql: string): Promise<Sample[]> {
  const [prometheus] = await containersOf(`${STACK}_prometheus`);
  return JSON.parse(
    await docker([
      'exec',
      prometheus,
      'promtool',
      'query',
      'instant',
      '--format',
      'json',
      'http://localhost:9090',
      promql,
    ]),
  ) as Sample[];
}

describe('the stack on a one-node swarm (compose.swarm.yaml, compose.swarm.monitoring.yaml)', () => {
  it('answers POST / with the seed accounts and GET / with 405, through the host-mode port', async () => {
    const list = await fetch(`${api.baseUrl}/`, { method: 'POST' });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'data/seed/accounts.json'), 'utf8')));
    const get = await fetch(`${api.baseUrl}/`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await containersOf(`${STACK}_api`)).length).toBe(3);
  });

  it('hands the password and the bootstrap key in as files, never in any container environment', async () => {
    const [apiContainer] = await containersOf(`${STACK}_api`);
    const password = (await docker(['exec', apiContainer, 'cat', '/run/secrets/postgres_api_password'])).trim();
    const adminKey = api.headers.Authorization.replace(/^Bearer /, '');
    expect(password.length).toBeGreaterThanOrEqual(40);
    expect((await docker(['exec', apiContainer, 'cat', '/run/secrets/bootstrap_admin_key'])).trim()).toBe(adminKey);
    const containers = (await docker(['ps', '--quiet', '--filter', `label=com.docker.stack.namespace=${STACK}`]))
      .split('\n')
      .filter(Boolean);
    // proxy, 3 api, postgres, prometheus, alertmanager (the migrate job's has exited).
    expect(containers.length).toBe(7);
    for (const id of containers) {
      const [container] = JSON.parse(await docker(['inspect', id])) as {
        Name: string;
        Config: { Env: string[]; Labels: Record<string, string> };
      }[];
      const text = JSON.stringify(container);
      expect({
        container: container.Name,
        password: text.includes(password),
        adminKey: text.includes(adminKey),
      }).toEqual({
        container: container.Name,
        password: false,
        adminKey: false,
      });
    }
  });

  it('reaches PostgreSQL as roles that do not own the cluster, over TLS, on a network the proxy is not on', async () => {
    const [postgres] = await containersOf(`${STACK}_postgres`);
    const [proxy] = await containersOf(`${STACK}_proxy`);
    const psql = async (query: string) =>
      (
        await docker([
          'exec',
          postgres,
          'psql',
          '-h',
          '/var/run/postgresql',
          '-U',
          'accounts',
          '-d',
          'accounts',
          '-Atc',
          query,
        ])
      )
        .trim()
        .split('\n');
    // The api's sessions, each over TLS and checked against the CA secret (verify-full).
    expect(
      await psql(
        "SELECT DISTINCT a.usename || ' ' || s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'accounts-api'",
      ),
    ).toEqual(['accounts_api true']);
    // The migrate job made the tables as their owner; the api may only use their rows.
    expect(await psql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")).toEqual([
      'accounts_owner',
    ]);
    expect(await psql("SELECT has_table_privilege('accounts_api', 'accounts', 'TRUNCATE')")).toEqual(['f']);
    // The proxy is on the edge and backend networks only: `postgres` is no name there.
    await expect(docker(['exec', proxy, 'getent', 'hosts', 'postgres'])).rejects.toThrow();
    expect((await docker(['exec', proxy, 'getent', 'hosts', 'api'])).trim()).not.toBe('');
  });

  it('serves HTTPS with the certificate init-secrets.sh made, its key readable by nginx alone; plain HTTP only redirects', async () => {
    const [proxy] = await containersOf(`${STACK}_proxy`);
    expect((await docker(['exec', proxy, 'stat', '-c', '%u %a', '/run/secrets/proxy_tls/server.key'])).trim()).toBe(
      '101 400',
    );
    const secure = await fetch(`${api.baseUrl}/`, { method: 'POST' });
    expect(secure.status).toBe(200);
    expect(secure.headers.get('strict-transport-security')).toBe('max-age=63072000');
    const plain = await fetch(`${plainUrl}/accounts?limit=1`, { headers: api.headers, redirect: 'manual' });
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe(`${api.baseUrl}/accounts?limit=1`);
  });

  it('encrypts every overlay network it made; compose.swarm.unencrypted.yaml changes that and nothing else', async () => {
    const networks = (
      await docker(['network', 'ls', '--quiet', '--filter', `label=com.docker.stack.namespace=${STACK}`])
    )
      .split('\n')
      .filter(Boolean);
    expect(networks.length).toBe(4);
    for (const id of networks) {
      const [network] = JSON.parse(await docker(['network', 'inspect', id])) as {
        Name: string;
        Driver: string;
        Options: Record<string, string> | null;
      }[];
      expect({ name: network.Name, driver: network.Driver, encrypted: 'encrypted' in (network.Options ?? {}) }).toEqual(
        {
          name: network.Name,
          driver: 'overlay',
          encrypted: true,
        },
      );
    }
    // With compose.swarm.backup.yaml too, which this stack does not deploy:
    // its one network, backups, is encrypted and turned off the same way.
    const files = [...STACK_FILES, 'compose.swarm.backup.yaml'];
    const config = (...more: string[]) =>
      docker(['stack', 'config', ...[...files, ...more].flatMap((file) => ['-c', file])]);
    const encrypted = await config();
    const option = '    driver_opts:\n      encrypted: ""\n';
    expect(encrypted.split(option).length - 1).toBe(networks.length + 1);
    expect(await config('compose.swarm.unencrypted.yaml')).toBe(encrypted.replaceAll(option, ''));
  });

  it('replaces every api replica with `docker service update --force` under load, failing no request', async () => {
    const before = await containersOf(API_SERVICE);
    const started = Date.now();
    let status: UpdateStatus | null = null;
    const load = await underLoad('rolling update', async () => {
      await docker(['service', 'update', '--force', '--detach', API_SERVICE]);
      status = await updateEnded(/^(completed|paused|rollback_.*)$/);
    });
    console.info(
      `rolling update of 3 replicas, monitor window included, took ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(status).toMatchObject({ State: 'completed' });
    // A replaced replica drains and may be stopping still: bounded by its
    // stop_grace_period (15 s), after which the engine kills it.
    const after =
      (await eventually(async () => {
        const running = await containersOf(API_SERVICE);
        return running.length === 3 ? running : undefined;
      }, 30_000)) ?? (await containersOf(API_SERVICE));
    if (after.length !== 3) console.info(await docker(['service', 'ps', '--no-trunc', API_SERVICE]));
    expect(after).toHaveLength(3);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    expectNoFailure(load);
    expectExactlyOnce(load.writes, load.stored, load.opening);
  }, 600_000);

  it('rolls an update to a release that crashes at boot back by itself, the old replicas serving throughout', async () => {
    await docker([
      'build',
      '--quiet',
      '--tag',
      BROKEN_IMAGE,
      '--build-arg',
      `API_IMAGE=${API_IMAGE}`,
      '--file',
      'test/swarm/one-node/broken-api.Dockerfile',
      '.',
    ]);
    const before = await containersOf(API_SERVICE);
    const started = Date.now();
    let status: UpdateStatus | null = null;
    const load = await underLoad('rollback', async () => {
      await docker(['service', 'update', '--detach', '--no-resolve-image', '--image', BROKEN_IMAGE, API_SERVICE]);
      status = await updateEnded(/^(completed|paused|rollback_(completed|paused))$/);
      // After the rollback, as long again as it took nginx to see any change.
      await sleep(DNS_REFRESH_MS);
    });
    console.info(
      `update to a broken image: ${JSON.stringify(status)} after ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(status).toMatchObject({ State: 'rollback_completed' });
    const spec = (
      await docker(['service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', API_SERVICE])
    ).trim();
    expect(spec).toBe(API_IMAGE);
    const tasks = await runningApiTasks();
    expect(tasks.map((task) => task.image)).toEqual([API_IMAGE, API_IMAGE, API_IMAGE]);
    const failedBroken = await docker([
      'service',
      'ps',
      '--no-trunc',
      '--filter',
      'desired-state=shutdown',
      '--format',
      '{{.Image}} {{.Error}}',
      API_SERVICE,
    ]);
    expect(failedBroken).toMatch(new RegExp(`${BROKEN_IMAGE} "?task: non-zero exit \\(1\\)`));
    // start-first: the new replica had to be healthy before an old one stopped, and none was.
    expect((await containersOf(API_SERVICE)).filter((id) => before.includes(id))).toHaveLength(3);
    expectNoFailure(load);
    expectExactlyOnce(load.writes, load.stored, load.opening);
  }, 600_000);

  it('is watched by Prometheus, which followed the api tasks through the updates by DNS, and scrapes every proxy', async () => {
    const addresses = async (service: string, port: number) => {
      const found: string[] = [];
      for (const id of await containersOf(service)) {
        const networks = JSON.parse(
          await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id]),
        ) as Record<string, { IPAddress: string }>;
        found.push(`${networks[`${STACK}_backend`].IPAddress}:${port}`);
      }
      return found.sort();
    };
    // The tasks the rolling update started, none of those it replaced.
    const apiTasks = await addresses(API_SERVICE, 9464);
    expect(apiTasks).toHaveLength(3);
    const instances = async (promql: string) => (await prometheusQuery(promql)).map((s) => s.metric.instance).sort();
    const followed = await eventually(
      async () => ((await instances('up{job="api"}')).join() === apiTasks.join() ? true : undefined),
      60_000,
      2_000,
    );
    if (!followed) console.info(JSON.stringify(await prometheusQuery('up')));
    expect(await instances('up{job="api"} == 1')).toEqual(apiTasks);
    expect(await instances('up{job="proxy"} == 1')).toEqual(await addresses(`${STACK}_proxy`, 8082));
    // The load of the tests above, counted by the replicas that served it.
    const served = await prometheusQuery('sum(accounts_api_http_requests_total{job="api",route="/transfers"})');
    expect(Number(served[0]?.value[1])).toBeGreaterThan(0);
    // Alertmanager found by its name, and no nginx exporter looked for.
    expect(await prometheusQuery('prometheus_notifications_alertmanagers_discovered')).toMatchObject([
      { value: [expect.any(Number), '1'] },
    ]);
    expect(await prometheusQuery('up{job="nginx"}')).toEqual([]);
    // Neither publishes a port: a swarm's would listen on every address of the node.
    for (const service of ['prometheus', 'alertmanager']) {
      const ports = await docker(['service', 'inspect', '--format', '{{json .Endpoint.Ports}}', `${STACK}_${service}`]);
      expect({ service, ports: JSON.parse(ports) as unknown }).toEqual({ service, ports: null });
    }
  }, 120_000);
});
