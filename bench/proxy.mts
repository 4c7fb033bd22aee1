/**
 * nginx layer by layer (`npm run bench:proxy`; `--smoke` for a short run that
 * proves the harness and judges nothing).
 *
 * docker/bench/compose.proxy-layers.yaml starts one proxy container per
 * configuration (bench/proxy-layers.mts), each compose.yaml's proxy service
 * with its image, user and limits, all in front of the same bare node:http
 * handler. The load is the talk's `POST /` with an API key, so that the gate
 * runs as it does for a keyed request (the handler ignores the key). The
 * rows take turns, round after round, so that a change in the machine's
 * load hits them alike; each figure is the median of the rounds', and each
 * ratio the median of the ratios within a round.
 *
 * For every row it reads the CPU time of that nginx container and of the
 * handler from their cgroups (bench/cpu.mts), and how many connections nginx
 * opened to the handler (the handler counts them). Two more rows time TLS
 * handshakes on the stack's nginx with `openssl s_time`: each connection a
 * new session, and each one resuming the first's. The last row puts the real
 * api (one replica, SQLite, compose.yaml's service) behind the stack's
 * nginx, so that POST / as the stack serves it is measured against the bare
 * handler behind the minimal nginx in the same rounds; it counts no
 * connections.
 *
 * A broken run fails: an answer that is not 2xx, a failed request, a
 * missing figure. Missed goals never do.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { compose, docker, type ComposeOptions } from '../test/support/docker.ts';
import { devCerts } from '../test/support/dev-certs.ts';
import { PROJECTS } from '../test/support/projects.ts';
import { containersMeter, type Meter } from './cpu.mts';
import { describeMachine, describeRevision } from './machine.mts';
import { layerFiles } from './proxy-layers.mts';
import { benchOptions, median, writeResults } from './results.mts';
import { failures, fire, type Workload } from './wrk.mts';

const { smoke, outFile } = benchOptions('proxy-');
const SETTINGS = smoke
  ? { connections: 10, warmupSeconds: 0, roundSeconds: 1, rounds: 1, handshakeSeconds: 1 }
  : { connections: 50, warmupSeconds: 2, roundSeconds: 4, rounds: 5, handshakeSeconds: 3 };

const FILE = 'docker/bench/compose.proxy-layers.yaml';
const IMAGE = 'accounts-proxybench/proxy:local';
const API_IMAGE = 'accounts-proxybench/api:local';
const COMMAND_TIMEOUT_MS = 180_000;
const BUILD_TIMEOUT_MS = 15 * 60_000;
/** A key of the api's shape, which the gate checks and the handler ignores. */
const KEY = `acckey_${'0123456789ab'}${'cd'.repeat(32)}`;
const WORKLOAD: Workload = {
  name: 'POST / with a key',
  requests: [{ method: 'POST', path: '/', headers: { authorization: `Bearer ${KEY}` }, status: 200 }],
};

type Load = 'http' | 'https' | 'tls-new' | 'tls-reuse';

interface Layer {
  readonly name: string;
  readonly service: string;
  readonly load: Load;
  /** The service behind this row's nginx: the bare handler unless named. */
  readonly upstream?: 'real-api';
}

/** In the order of the table: each row of the chain adds one feature to the row above. */
const LAYERS: readonly Layer[] = [
  { name: 'minimal: worker_processes auto, keepalive 32, no log', service: 'minimal', load: 'http' },
  { name: '+ keepalive 256', service: 'pool-256', load: 'http' },
  { name: '+ 1 worker', service: 'one-worker', load: 'http' },
  { name: '+ request id (map, X-Request-Id both ways)', service: 'request-id', load: 'http' },
  { name: '+ JSON access log, one write per request', service: 'log-unbuffered', load: 'http' },
  { name: '+ access log buffered (64k, flush=1s) instead', service: 'log-buffered', load: 'http' },
  { name: '+ security and hidden headers', service: 'headers', load: 'http' },
  { name: '+ limit_req and limit_conn', service: 'limits', load: 'http' },
  { name: '+ the gate (njs)', service: 'gate', load: 'http' },
  { name: "the gate's njs handlers doing nothing, instead", service: 'gate-noop', load: 'http' },
  { name: '+ the whole-body deadline (njs js_access)', service: 'deadline', load: 'http' },
  { name: "the stack's nginx.conf", service: 'stack', load: 'http' },
  { name: "the stack's, access log unbuffered", service: 'stack-log-unbuffered', load: 'http' },
  { name: "the stack's, keepalive 32", service: 'stack-pool-32', load: 'http' },
  { name: "the stack's, body deadline off", service: 'stack-no-deadline', load: 'http' },
  { name: "the stack's, worker_processes auto", service: 'stack-auto', load: 'http' },
  { name: "the stack's, HTTPS with keep-alive", service: 'stack', load: 'https' },
  { name: "the stack's, TLS handshake, new session", service: 'stack', load: 'tls-new' },
  { name: "the stack's, TLS handshake, session resumed", service: 'stack', load: 'tls-reuse' },
  {
    name: "the stack's nginx.conf, the real api behind it (one replica, SQLite)",
    service: 'stack-real-api',
    load: 'http',
    upstream: 'real-api',
  },
];
const MINIMAL = LAYERS[0].name;
const STACK = "the stack's nginx.conf";
const REAL_API = LAYERS.at(-1)!.name;

interface Round {
  /** Requests, or connections in the handshake rows. */
  readonly count: number;
  readonly seconds: number;
  readonly nginxUs: number | null;
  readonly handlerUs: number | null;
  /** Null where the server behind nginx does not count them (the real api). */
  readonly opened: number | null;
}

export interface ProxyRow {
  readonly layer: string;
  readonly unit: 'request' | 'connection';
  readonly perSecond: number;
  readonly nginxUs: number | null;
  readonly handlerUs: number | null;
  /** Connections nginx opened to the handler per 1,000 requests, where it counts them. */
  readonly upstreamConnectsPer1000: number | null;
  readonly rounds: readonly Round[];
}

const run = promisify(execFile);
const log = (message: string) => process.stderr.write(`bench:proxy: ${message}\n`);
const problems: string[] = [];
const aborter = new AbortController();
const { signal } = aborter;
const layersDir = mkdtempSync(join(tmpdir(), 'accounts-proxybench-'));
let tlsDir = '';

function on(options: Partial<ComposeOptions> = {}): ComposeOptions {
  return {
    timeoutMs: COMMAND_TIMEOUT_MS,
    signal,
    ...options,
    project: PROJECTS.benchProxy,
    files: [FILE],
    env: {
      PROXYBENCH_IMAGE: IMAGE,
      PROXYBENCH_API_IMAGE: API_IMAGE,
      PROXY_LAYERS_DIR: layersDir,
      PROXY_TLS_DIR: tlsDir || layersDir,
    },
  };
}

async function published(service: string, port: number): Promise<string> {
  const binding = (await compose(['port', service, String(port)], on())).trim();
  const found = /:(\d+)$/.exec(binding)?.[1];
  if (!found) throw new Error(`${service} publishes no port for ${port} (got '${binding}')`);
  return `127.0.0.1:${found}`;
}

async function meterOf(name: string, service: string): Promise<Meter> {
  const ids = (await compose(['ps', '--quiet', '--no-trunc', service], on())).split('\n').filter(Boolean);
  if (ids.length !== 1) throw new Error(`${service} runs ${ids.length} containers, not 1`);
  return containersMeter(name, ids);
}

async function opened(handler: string | null): Promise<number | null> {
  if (handler === null) return null;
  const response = await fetch(`http://${handler}/connections`, { signal: AbortSignal.timeout(5_000) });
  return ((await response.json()) as { opened: number }).opened;
}

/** One answer to the workload, its exact status checked: wrk counts only 4xx and 5xx as failed. */
async function checkAnswer(url: string): Promise<void> {
  const [{ method, path, headers, status }] = WORKLOAD.requests;
  const response = await fetch(`${url}${path}`, { method, headers, redirect: 'manual', signal });
  const body = await response.text();
  if (response.status !== status) problems.push(`${url}${path} answered ${response.status}, not ${status}: ${body}`);
}

/** Sequential TLS handshakes for `seconds`, each a new session or each resuming the first; the count made. */
async function handshakes(address: string, load: 'tls-new' | 'tls-reuse', seconds: number): Promise<Round['count']> {
  const args = ['s_time', '-connect', address, load === 'tls-new' ? '-new' : '-reuse', '-time', String(seconds)];
  // One HTTP/1.0 request a connection, which the handler answers 200, then nginx closes.
  const { stdout } = await run('openssl', [...args, '-www', '/health'], { signal, timeout: (seconds + 30) * 1000 });
  const made = /(\d+) connections in [\d.]+ real seconds/.exec(stdout)?.[1];
  if (made === undefined) throw new Error(`openssl s_time printed no count: ${stdout.trim()}`);
  // One mark a connection: `*` for a full handshake, `r` for a resumed session.
  const resumed = (/^[*r]+$/m.exec(stdout)?.[0] ?? '').replaceAll('*', '').length;
  if (load === 'tls-reuse' && resumed < Number(made) - 1) {
    problems.push(`openssl s_time -reuse resumed ${resumed} of ${made} sessions`);
  }
  return Number(made);
}

interface Target {
  readonly layer: Layer;
  readonly url: string;
  readonly nginx: Meter;
  /** The server behind nginx, and where to ask it how many connections it was opened, if it counts them. */
  readonly handler: Meter;
  readonly counter: string | null;
}

async function oneRound(target: Target, seconds: number): Promise<Round> {
  const { handler, counter } = target;
  const before = [target.nginx.read(), handler.read(), await opened(counter)] as const;
  const started = performance.now();
  let count: number;
  if (target.layer.load === 'tls-new' || target.layer.load === 'tls-reuse') {
    count = await handshakes(new URL(target.url).host, target.layer.load, seconds);
  } else {
    const result = await fire(target.url, WORKLOAD, { connections: SETTINGS.connections, seconds, signal });
    problems.push(...failures(target.layer.name, result));
    count = result.requests;
  }
  const elapsed = (performance.now() - started) / 1000;
  const after = [target.nginx.read(), handler.read(), await opened(counter)] as const;
  const us = (start: number | null, end: number | null) =>
    start === null || end === null || count === 0 ? null : (end - start) / count / 1000;
  return {
    count,
    seconds: elapsed,
    nginxUs: us(before[0], after[0]),
    handlerUs: us(before[1], after[1]),
    // The counter's own request opens at most one of them.
    opened: after[2] === null || before[2] === null ? null : after[2] - before[2],
  };
}

const medianOf = (values: ReadonlyArray<number | null>) =>
  values.some((value) => value === null) ? null : median(values as number[]);

function summarize(layer: Layer, rounds: readonly Round[]): ProxyRow {
  return {
    layer: layer.name,
    unit: layer.load.startsWith('tls-') ? 'connection' : 'request',
    perSecond: median(rounds.map((round) => round.count / round.seconds)),
    nginxUs: medianOf(rounds.map((round) => round.nginxUs)),
    handlerUs: medianOf(rounds.map((round) => round.handlerUs)),
    upstreamConnectsPer1000: medianOf(
      rounds.map((round) => (round.opened === null ? null : (round.opened / round.count) * 1000)),
    ),
    rounds,
  };
}

interface Ratio {
  readonly name: string;
  readonly value: number;
  /** The goal, where it names one. */
  readonly goal?: string;
}

/** Row `a` over row `b`, round by round, then the median: both ran within seconds of each other. */
function ratio(rows: readonly ProxyRow[], a: string, b: string, figure: (round: Round) => number | null): number {
  const [over, under] = [a, b].map((name) => rows.find((row) => row.layer === name)?.rounds ?? []);
  const values = over.map((round, index) => {
    const [x, y] = [figure(round), under[index] ? figure(under[index]) : null];
    return x === null || y === null ? Number.NaN : x / y;
  });
  return values.length === 0 ? Number.NaN : median(values);
}

function ratios(rows: readonly ProxyRow[]): Ratio[] {
  const rate = (round: Round) => round.count / round.seconds;
  return [
    {
      name: "nginx CPU per request, the stack's / minimal",
      value: ratio(rows, STACK, MINIMAL, (round) => round.nginxUs),
      goal: '≤ 1.3',
    },
    {
      name: "the handler's CPU per request, behind the stack's / behind minimal",
      value: ratio(rows, STACK, MINIMAL, (round) => round.handlerUs),
      goal: '≤ 1.15',
    },
    { name: "req/s, the stack's / minimal", value: ratio(rows, STACK, MINIMAL, rate) },
    {
      name: "req/s, POST / through the stack's nginx to the real api / the bare handler behind minimal",
      value: ratio(rows, REAL_API, MINIMAL, rate),
      goal: '≥ 0.5',
    },
    {
      name: "nginx CPU per request, the stack's / minimal with keepalive 256",
      value: ratio(rows, STACK, '+ keepalive 256', (round) => round.nginxUs),
    },
    {
      name: "the handler's CPU per request, behind the stack's with keepalive 32 / 256",
      value: ratio(rows, "the stack's, keepalive 32", STACK, (round) => round.handlerUs),
    },
    {
      name: "nginx CPU per request, the stack's access log unbuffered / buffered",
      value: ratio(rows, "the stack's, access log unbuffered", STACK, (round) => round.nginxUs),
    },
    {
      name: 'nginx CPU per request, the gate / its njs handlers doing nothing',
      value: ratio(
        rows,
        '+ the gate (njs)',
        "the gate's njs handlers doing nothing, instead",
        (round) => round.nginxUs,
      ),
    },
    {
      name: "nginx CPU per request, the stack's / with the body deadline off",
      value: ratio(rows, STACK, "the stack's, body deadline off", (round) => round.nginxUs),
    },
  ];
}

const figure = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));

function render(rows: readonly ProxyRow[], found: readonly Ratio[]): string {
  const minimal = rows.find((row) => row.layer === MINIMAL)!;
  const lines = [
    '| nginx configuration | req/s | nginx µs per request | handler µs per request | × minimal (nginx) | upstream connects per 1,000 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const perConnection = row.unit === 'connection';
    const share =
      perConnection || row.nginxUs === null || minimal.nginxUs === null
        ? ''
        : (row.nginxUs / minimal.nginxUs).toFixed(2);
    lines.push(
      `| ${row.layer} | ${Math.round(row.perSecond)}${perConnection ? ' conn/s' : ''} | ` +
        `${figure(row.nginxUs)}${perConnection ? ' per conn' : ''} | ${figure(row.handlerUs)} | ${share} | ` +
        `${perConnection ? '' : figure(row.upstreamConnectsPer1000, 0)} |`,
    );
  }
  lines.push('', '| ratio, median of the rounds | measured | goal |', '|---|---:|---|');
  for (const { name, value, goal } of found) lines.push(`| ${name} | ${value.toFixed(2)} | ${goal ?? ''} |`);
  return lines.join('\n');
}

function missingFigures(rows: readonly ProxyRow[], found: readonly Ratio[]): string[] {
  const missing: string[] = [];
  for (const row of rows) {
    if (!(row.perSecond > 0)) missing.push(`missing figure: ${row.layer} per second`);
    if (row.nginxUs === null || !(row.nginxUs > 0)) missing.push(`missing figure: ${row.layer} nginx µs`);
    if (row.handlerUs === null || !(row.handlerUs > 0)) missing.push(`missing figure: ${row.layer} handler µs`);
  }
  for (const { name, value } of found) if (!Number.isFinite(value)) missing.push(`missing figure: ${name}`);
  return missing;
}

async function tearDown(): Promise<void> {
  await compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], on({ signal: undefined }));
}

async function main(): Promise<number> {
  const [machine, revision] = await Promise.all([describeMachine(), describeRevision()]);
  if (machine.loadAverageAtStart[0] > 0.5)
    log(`load average is ${machine.loadAverageAtStart[0]}: the figures will be noisy`);
  const certs = await devCerts();
  tlsDir = certs.proxyDir;
  setDefaultCACertificates([...getCACertificates('default'), readFileSync(certs.ca, 'utf8')]);
  // nginx runs as its own user, and reads the files through a bind mount.
  chmodSync(layersDir, 0o755);
  for (const [name, text] of Object.entries(layerFiles())) writeFileSync(join(layersDir, name), text, { mode: 0o644 });

  const rows: ProxyRow[] = [];
  try {
    await tearDown();
    log('building the proxy and api images from this checkout (cached after the first time)');
    for (const [dockerfile, tag, base] of [
      ['docker/proxy/Dockerfile', IMAGE, 'NGINX_IMAGE'],
      ['docker/api/Dockerfile', API_IMAGE, 'NODE_IMAGE'],
    ] as const) {
      const baseArg = process.env[base] ? ['--build-arg', `${base}=${process.env[base]}`] : [];
      await docker(['build', '--quiet', ...baseArg, '--file', dockerfile, '--tag', tag, '.'], {
        timeoutMs: BUILD_TIMEOUT_MS,
        signal,
      });
    }
    await compose(['up', '--detach', '--wait', '--wait-timeout', '90', '--no-build'], on());
    const handlerAddress = await published('api', 3000);
    const handler = await meterOf('handler', 'api');
    const realApi = await meterOf('real api', 'real-api');
    const tlsAddress = await published('stack', 8443);
    const targets: Target[] = [];
    for (const layer of LAYERS) {
      const url = layer.load === 'http' ? `http://${await published(layer.service, 8080)}` : `https://${tlsAddress}`;
      const behind =
        layer.upstream === 'real-api' ? { handler: realApi, counter: null } : { handler, counter: handlerAddress };
      targets.push({ layer, url, nginx: await meterOf('nginx', layer.service), ...behind });
    }
    for (const target of targets) if (!target.layer.load.startsWith('tls-')) await checkAnswer(target.url);
    if (SETTINGS.warmupSeconds > 0) {
      for (const target of targets) await oneRound(target, SETTINGS.warmupSeconds);
    }
    log(`${targets.length} rows, ${SETTINGS.rounds} rounds of ${SETTINGS.roundSeconds} s each, taking turns`);
    const rounds = targets.map((): Round[] => []);
    for (let round = 0; round < SETTINGS.rounds; round += 1) {
      for (const [index, target] of targets.entries()) {
        const seconds = target.layer.load.startsWith('tls-') ? SETTINGS.handshakeSeconds : SETTINGS.roundSeconds;
        rounds[index].push(await oneRound(target, seconds));
      }
      log(`round ${round + 1} of ${SETTINGS.rounds} done`);
    }
    rows.push(...targets.map((target, index) => summarize(target.layer, rounds[index])));
  } finally {
    log('removing the layers and the handler');
    await tearDown().catch((error: Error) =>
      problems.push(`the bench:proxy project was not removed: ${error.message}`),
    );
  }

  const found = ratios(rows);
  problems.push(...missingFigures(rows, found));
  process.stdout.write(
    `\n${render(rows, found)}\n\n- load: wrk, ${SETTINGS.connections} connections, \`${WORKLOAD.name}\`; ` +
      `${SETTINGS.rounds} rounds of ${SETTINGS.roundSeconds} s per row, the rows taking turns` +
      `${smoke ? ' (smoke: no goal judged)' : ''}\n- machine: ${machine.cpuModel}, ${machine.cpus} CPUs, ` +
      `Linux ${machine.kernel}, Docker ${machine.docker}; load average at start ${machine.loadAverageAtStart.join(' ')}\n` +
      `- revision: ${revision.commit ?? 'unknown'}${revision.dirty ? ' with uncommitted changes' : ''}\n`,
  );
  writeResults(outFile, {
    mode: smoke ? 'smoke' : 'full',
    finishedAt: new Date().toISOString(),
    machine,
    revision,
    settings: SETTINGS,
    workload: WORKLOAD.name,
    rows,
    ratios: found,
    problems,
  });
  log(`wrote ${outFile}`);
  for (const problem of problems) log(`FAILED: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

for (const name of ['SIGINT', 'SIGTERM'] as const)
  process.once(name, () => aborter.abort(new Error(`stopped by ${name}`)));
try {
  process.exitCode = await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(layersDir, { recursive: true, force: true });
}
