/**
 * The api in-process, layer by layer (`npm run bench:api`; `--smoke` for a
 * seconds-long run that proves the harness and judges nothing).
 *
 * Each layer is a server of its own: node:http alone, then Express, then Nest
 * on Express, then the built api with its logs off, on, and on with its
 * Prometheus metrics, so that the cost
 * of each layer is the difference between two rows of one run, and a
 * regression in any layer shows as a row that moved. Nest on Fastify is
 * measured beside them for bench/README.md's comparison, and the api at `info`
 * a second time, whose difference from the first is this run's noise floor.
 * The metrics' own code is also timed alone, in a loop. Every server runs on one
 * pinned CPU and wrk on another, so the figures are one core's work and the
 * load generator never competes with what it measures.
 *
 * The api layers answer from their own SQLite file in a temporary folder, with
 * the seed's accounts and an admin key handed in the way the stack hands it in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import getPort from 'get-port';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKey } from '../apps/accounts-api/src/auth/api-key.ts';
import { createAccountsClient } from '../libs/client/src/index.ts';
import { REPO_ROOT } from '../test/support/docker.ts';
import { describeMachine, describeRevision } from './machine.mts';
import { benchOptions, median, writeResults } from './results.mts';
import { TALK, keyedWorkloads, openAccounts } from './workloads.mts';
import { failures, takeTurns, type Workload } from './wrk.mts';

const { smoke, outFile } = benchOptions('api-');
const SETTINGS = smoke
  ? { warmupSeconds: 0, seconds: 1, rounds: 1, connections: 20 }
  : { warmupSeconds: 2, seconds: 16, rounds: 8, connections: 50 };

/** The servers share one CPU and wrk has the other: on 2 CPUs, nothing else is left for them to fight over. */
const SERVER_CPU = 1;
const LOAD_CPU = 0;
const START_TIMEOUT_MS = 30_000;
const API_MAIN = join(REPO_ROOT, 'dist/apps/accounts-api/main.js');

interface Layer {
  readonly name: string;
  /** What to run with node, from the repository root. */
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Beside the stack of layers, not one of them: no difference to the row above is shown. */
  readonly comparison?: boolean;
  /** How the api's workloads name this layer's rows; set on the api layers only, which serve the routes that need a key and a store. */
  readonly api?: string;
}

interface Figures {
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly requests: number;
}

interface Row extends Figures {
  readonly layer: string;
  readonly workload: string;
  /** µs per request in each round, in the order the servers took turns. */
  readonly roundsUs: readonly number[];
}

const log = (message: string) => process.stderr.write(`bench:api: ${message}\n`);
const problems: string[] = [];
const children: ChildProcess[] = [];
const workDir = mkdtempSync(join(tmpdir(), 'accounts-bench-api-'));
const KEY = generateKey();
const keyFile = join(workDir, 'admin-key');
writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });

const NODE = [process.execPath, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'];
const apiEnv = (name: string, level: string, metrics: boolean) => ({
  SEED_FILE: join(REPO_ROOT, 'data/seed/accounts.json'),
  STORE_URL: `sqlite:${join(workDir, name, 'accounts.db')}`,
  BOOTSTRAP_ADMIN_KEY_FILE: keyFile,
  LOG_LEVEL: level,
  SHUTDOWN_DRAIN_MS: '100',
  // Counted but never scraped: a scrape every 15 s costs nothing per request. `0` is any free port.
  METRICS_PORT: metrics ? '0' : 'off',
});
const INFO = 'the api (info: one access line per request)';
const METRICS = 'the api (info, and Prometheus metrics)';
const CONTROL = 'the api (info), a second copy: the noise floor';

const LAYERS: readonly Layer[] = [
  { name: 'node:http', args: ['bench/layers/node-http.mts'] },
  { name: 'Express', args: ['bench/layers/express.mts'] },
  { name: 'Nest on Express', args: ['bench/layers/nest.mts'] },
  { name: 'the api, LOG_LEVEL=silent', args: [API_MAIN], env: apiEnv('silent', 'silent', false), api: 'logs off' },
  { name: INFO, args: [API_MAIN], env: apiEnv('info', 'info', false), api: 'logs on' },
  { name: METRICS, args: [API_MAIN], env: apiEnv('metrics', 'info', true), api: 'logs and metrics on' },
  // The info layer again: what two identical servers differ by in this run is the least a difference must exceed.
  {
    name: CONTROL,
    args: [API_MAIN],
    env: apiEnv('control', 'info', false),
    api: 'logs on, a second copy',
    comparison: true,
  },
  { name: 'Nest on Fastify (comparison)', args: ['bench/layers/nest.mts', 'fastify'], comparison: true },
];

async function start(layer: Layer): Promise<string> {
  const port = await getPort({ host: '127.0.0.1' });
  const child = spawn('taskset', ['--cpu-list', String(SERVER_CPU), ...NODE, ...layer.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...layer.env, PORT: String(port) },
    // The info layer's lines go where a container's would if nobody read them: measured, never kept.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${layer.name} exited with ${child.exitCode}: ${stderr.trim()}`);
    const response = await fetch(`${url}/`, { method: 'POST' }).catch(() => undefined);
    if (response?.ok) {
      await response.arrayBuffer();
      return url;
    }
    await sleep(100);
  }
  throw new Error(`${layer.name} did not answer POST / within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`);
}

async function etagOf(url: string, id: number): Promise<string> {
  const api = createAccountsClient({ baseUrl: url, apiKey: KEY });
  const { response } = await api.GET('/accounts/{id}', { params: { path: { id } } });
  const etag = response.headers.get('etag');
  if (response.status !== 200 || !etag)
    throw new Error(`GET /accounts/${id} answered ${response.status} with ETag ${etag}`);
  return etag;
}

/** The workloads of the api layers, after the accounts they move money between exist. */
async function apiWorkloads(url: string): Promise<Workload[]> {
  const accounts = await openAccounts(url, KEY);
  const [read, transfers] = keyedWorkloads(KEY, accounts);
  const etag = await etagOf(url, accounts[0]);
  const notModified: Workload = {
    name: `${read.name}, If-None-Match (304)`,
    requests: read.requests.map((request) => ({
      ...request,
      headers: { ...request.headers, 'if-none-match': etag },
      status: 304,
    })),
  };
  return [read, notModified, transfers];
}

/** One workload on several servers (or each server its own, of one name), taking turns. */
async function measure(
  servers: ReadonlyArray<{ layer: Layer; url: string }>,
  workload: Workload | readonly Workload[],
): Promise<Row[]> {
  const name = ([] as Workload[]).concat(workload)[0].name;
  const rounds = servers.map((): number[] => []);
  const results = await takeTurns(
    servers.map(({ url }) => url),
    workload,
    { ...SETTINGS, cpu: LOAD_CPU },
    async (index, load) => {
      const result = await load();
      rounds[index].push(1e6 / result.requestsPerSecond);
      return result;
    },
  );
  return servers.map(({ layer }, index) => {
    const { requests, requestsPerSecond, latencyMs } = results[index];
    problems.push(...failures(`${name} on ${layer.name}`, results[index]));
    log(`${name.padEnd(40)} ${layer.name.padEnd(46)} ${Math.round(requestsPerSecond)} req/s`);
    const row = { layer: layer.name, workload: name, requests, requestsPerSecond, roundsUs: rounds[index] };
    return { ...row, p50Us: Math.round(latencyMs.p50 * 1000), p99Us: Math.round(latencyMs.p99 * 1000) };
  });
}

/** What `on` adds to `off` per request: the median of the rounds' differences, each pair measured seconds apart. */
function added(off: Row, on: Row): { median: number; low: number; high: number } {
  const differences = on.roundsUs.map((us, round) => us - off.roundsUs[round]);
  return { median: median(differences), low: Math.min(...differences), high: Math.max(...differences) };
}

const microseconds = (row: Figures) => 1e6 / row.requestsPerSecond;

function render(rows: readonly Row[], inProcess: number): string {
  const root = rows.filter((row) => row.workload === TALK.name);
  const floor = root[0];
  const lines = [
    '| POST / on one core | req/s | µs per request | µs added by the layer | share of node:http | p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  let previous: Row | undefined;
  for (const row of root) {
    const layer = LAYERS.find((l) => l.name === row.layer)!;
    const added = layer.comparison || !previous ? '' : `+${(microseconds(row) - microseconds(previous)).toFixed(1)}`;
    lines.push(
      `| ${row.layer} | ${Math.round(row.requestsPerSecond)} | ${microseconds(row).toFixed(1)} | ${added} | ` +
        `${(row.requestsPerSecond / floor.requestsPerSecond).toFixed(2)} | ${(row.p99Us / 1000).toFixed(2)} |`,
    );
    if (!layer.comparison) previous = row;
  }
  lines.push('', '| the api, on one core | req/s | µs per request | p99 ms |', '|---|---:|---:|---:|');
  for (const row of rows.filter((r) => r.workload !== TALK.name)) {
    lines.push(
      `| ${row.workload} (${LAYERS.find((l) => l.name === row.layer)!.api}) | ` +
        `${Math.round(row.requestsPerSecond)} | ${microseconds(row).toFixed(1)} | ${(row.p99Us / 1000).toFixed(2)} |`,
    );
  }
  lines.push(
    '',
    '| what the metrics cost, on one core | µs per request, off | on | added, median of the rounds | lowest and highest round |',
    '|---|---:|---:|---:|---:|',
  );
  const signed = (us: number) => `${us >= 0 ? '+' : ''}${us.toFixed(1)}`;
  for (const workload of new Set(rows.map((r) => r.workload))) {
    const off = rows.find((r) => r.workload === workload && r.layer === INFO);
    for (const [layer, what] of [
      [METRICS, workload],
      [CONTROL, `${workload}: the same api twice`],
    ]) {
      const on = rows.find((r) => r.workload === workload && r.layer === layer);
      if (!off || !on) continue;
      const { median: cost, low, high } = added(off, on);
      lines.push(
        `| ${what} | ${microseconds(off).toFixed(1)} | ${microseconds(on).toFixed(1)} | ` +
          `${signed(cost)} | ${signed(low)} to ${signed(high)} |`,
      );
    }
  }
  lines.push('', `The metrics' own code alone, in a loop on this CPU: ${inProcess.toFixed(2)} µs per request.`);
  return lines.join('\n');
}

/**
 * What the metrics' own code costs a request, without the server around it:
 * the http middleware (its 'close' listener, the clock, a counter and a
 * histogram with their labels) run in a loop on the servers' CPU, against
 * the built api's classes.
 */
async function metricsCallsUs(): Promise<number> {
  const calls = smoke ? 10_000 : 1_000_000;
  const script = `
    const { EventEmitter } = require('node:events');
    const { PrometheusMetrics } = require(${JSON.stringify(join(REPO_ROOT, 'dist/apps/accounts-api/metrics/prometheus.metrics.js'))});
    const { httpMetrics } = require(${JSON.stringify(join(REPO_ROOT, 'dist/apps/accounts-api/metrics/http-metrics.js'))});
    const middleware = httpMetrics(new PrometheusMetrics());
    const once = () => {
      const req = { method: 'POST', route: { path: '/' } };
      const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true });
      middleware(req, res, () => {});
      res.emit('close');
    };
    const noop = () => {
      const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true });
      res.emit('close');
    };
    const time = (f) => {
      for (let i = 0; i < ${calls} / 10; i += 1) f();
      const start = process.hrtime.bigint();
      for (let i = 0; i < ${calls}; i += 1) f();
      return Number(process.hrtime.bigint() - start) / 1000 / ${calls};
    };
    // The request and response objects a server makes anyway are not the metrics' cost.
    process.stdout.write(String(time(once) - time(noop)));`;
  const child = spawn('taskset', ['--cpu-list', String(SERVER_CPU), process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const us = Number(out);
  if (code !== 0 || !Number.isFinite(us)) throw new Error(`the metrics' loop failed (exit ${code}): ${out}`);
  return us;
}

async function main(): Promise<number> {
  if (availableParallelism() < 2)
    throw new Error('bench:api pins the servers and wrk to different CPUs and needs at least 2');
  if (!existsSync(API_MAIN))
    throw new Error(`${API_MAIN} is missing: run \`npm run build\` first (npm run bench:api does)`);
  const [machine, revision] = await Promise.all([describeMachine(), describeRevision()]);
  for (const layer of LAYERS)
    if (layer.api) mkdirSync(dirname(layer.env!.STORE_URL.slice('sqlite:'.length)), { recursive: true });

  const servers = [];
  for (const layer of LAYERS) servers.push({ layer, url: await start(layer) });
  log(`${servers.length} servers up, on CPU ${SERVER_CPU}; wrk on CPU ${LOAD_CPU}`);

  const rows = await measure(servers, TALK);
  const apiServers = servers.filter(({ layer }) => layer.api);
  const plans = await Promise.all(apiServers.map(({ url }) => apiWorkloads(url)));
  for (const [index] of plans[0].entries()) {
    // The workloads differ between servers only in account ids and ETags: each server gets its own, and they take turns.
    rows.push(
      ...(await measure(
        apiServers,
        plans.map((plan) => plan[index]),
      )),
    );
  }

  const table = render(rows, await metricsCallsUs());
  process.stdout.write(
    `\n${table}\n\n- machine: ${machine.cpuModel}, ${machine.cpus} CPUs, Linux ${machine.kernel}, Node ${machine.node}; ` +
      `load average at start ${machine.loadAverageAtStart.join(' ')}\n- revision: ${revision.commit ?? 'unknown'}` +
      `${revision.dirty ? ' with uncommitted changes' : ''}\n`,
  );
  const mode = smoke ? 'smoke' : 'full';
  writeResults(outFile, {
    mode,
    finishedAt: new Date().toISOString(),
    machine,
    revision,
    settings: SETTINGS,
    rows,
    problems,
  });
  log(`wrote ${outFile}`);
  for (const problem of problems) log(`FAILED: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

function stopAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  stopAll();
  process.exit(130);
});
main()
  .then((code) => {
    stopAll();
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    stopAll();
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
