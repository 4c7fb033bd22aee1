/**
 * The benchmark: `npm run bench` (full, a few minutes on 2 CPUs) or
 * `npm run bench:smoke` (about a minute; proves the harness works, judges
 * nothing). `--out FILE` writes the JSON report elsewhere than bench/results/.
 *
 * It starts compose.yaml plus docker/bench/compose.bench.yaml as the project
 * `accounts-stack-bench`, loads three endpoints through nginx with one api
 * (over plain HTTP and over HTTPS, keep-alive both), straight at that api,
 * and through nginx with two; then the same stack on
 * PostgreSQL (compose.postgres.yaml) through nginx with one api and with
 * three, and `POST /transfers` on it with compose.postgres.backup.yaml, the
 * WAL stream synchronous and not, taking turns; `POST /` straight at one
 * api at LOG_LEVEL=warn and info, taking turns; then it measures the image,
 * the builds, the start-up time and the api's memory. `POST /` with one api
 * takes turns with two peers (docker/bench/compose.peers.yaml, a project of
 * their own): the talk's Flask app, published straight, and a bare node:http
 * handler, behind the stack's nginx and direct. It prints the tables and
 * writes a JSON report. The load comes from wrk (bench/wrk.mts). Missed
 * targets never fail it; a broken run does (an unexpected status, a failed
 * request, a missing figure, a peer that answers POST / otherwise than the stack).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { imageFigures, timeBuilds, type BuildFigures } from './builds.mts';
import { failures, fire, summarize, takeTurns, type LoadResult, type Workload } from './wrk.mts';
import { engineMeter, metered, metersFor, perRequest, type CpuSpent } from './cpu.mts';
import { describeMachine, describeRevision } from './machine.mts';
import { benchOptions, writeResults } from './results.mts';
import { MEMORY_METHOD, peakMemoryDuring, sampleMemory } from './memory.mts';
import {
  judge,
  median,
  missingFigures,
  render,
  type LoadRow,
  type Peers,
  type Report,
  type Settings,
  type Way,
} from './report.mts';
import { compose, jsonLines } from '../test/support/docker.ts';
import { TALK, keyedWorkloads, openAccounts } from './workloads.mts';
import {
  BENCH_KEY,
  composeModel,
  containerIds,
  onPeers,
  onStack,
  peerUrl,
  peersModel,
  publishedTlsUrl,
  publishedUrl,
  startPeers,
  tearDown,
  tearDownPeers,
  useBackups,
  useCerts,
  useStore,
} from './stack.mts';

const { smoke, outFile } = benchOptions('');
const mode = smoke ? 'smoke' : 'full';
const SETTINGS: Settings = smoke
  ? { connections: 4, warmupSeconds: 0, seconds: 2, rounds: 1, startupSamples: 1, memorySeconds: 1 }
  : { connections: 50, warmupSeconds: 2, seconds: 10, rounds: 2, startupSamples: 3, memorySeconds: 6 };

const PROXY_PORT = 8080;
const API_PORT = 3000;
const FLASK_PORT = 5000;
// The idle reading comes after start-up work (migrations, seed import, first probes) has ended.
const IDLE_SETTLE_MS = 2_000;
const IMAGE_BUILD_TIMEOUT_MS = 15 * 60_000;
const WAIT_TIMEOUT_SECONDS = 60;
// compose.postgres.backup.yaml's backup service is healthy once its first full backup is verified.
const BACKUP_WAIT_TIMEOUT_SECONDS = 240;
const STREAM_ROUNDS = smoke ? 1 : 3;
const STREAM_MODES = [
  { synchronous: 'on', way: 'nginx, 1 api, PostgreSQL, WAL stream synchronous' },
  { synchronous: 'off', way: 'nginx, 1 api, PostgreSQL, WAL stream asynchronous' },
] as const satisfies ReadonlyArray<{ synchronous: string; way: Way }>;
// Short turns, each after a restart: more of them than the other rows' rounds.
const LOG_LEVEL_ROUNDS = smoke ? 1 : 6;
const LOG_LEVELS = [
  { level: 'warn', way: 'direct to api, LOG_LEVEL=warn' },
  { level: 'info', way: 'direct to api, LOG_LEVEL=info' },
] as const satisfies ReadonlyArray<{ level: string; way: Way }>;

const aborter = new AbortController();
const { signal } = aborter;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.once(name, () => aborter.abort(new Error(`stopped by ${name}`)));
}

const startedAt = new Date();
const elapsed = () => `${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`;
const log = (message: string) => process.stderr.write(`bench [${elapsed().padStart(7)}]: ${message}\n`);
const problems: string[] = [];

/**
 * Measures one workload along each way. The ways take turns, `rounds` times, so
 * that a change in the machine's load during the measurement hits them alike.
 */
async function measure(workload: Workload, ways: ReadonlyArray<readonly [Way, string]>): Promise<LoadRow[]> {
  const meters = await Promise.all(ways.map(([, url]) => metersFor(url)));
  const spent = meters.map((used): CpuSpent => used.map(() => 0));
  const results = await takeTurns(
    ways.map(([, url]) => url),
    workload,
    { ...SETTINGS, signal },
    (index, load) => metered(meters[index], spent[index], load),
  );
  return ways.map(([way], index) => {
    const result = results[index];
    checkResponses(`${workload.name} (${way})`, result);
    log(
      `${workload.name.padEnd(18)} ${way.padEnd(24)} ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
    );
    const cpuMicrosPerRequest = perRequest(meters[index], spent[index], result.requests);
    return { endpoint: workload.name, way, ...result, cpuMicrosPerRequest };
  });
}

function checkResponses(label: string, result: LoadResult): void {
  problems.push(...failures(label, result));
  if (result.errors.status > 0) {
    problems.push(
      `${label}: if those are 429s from the proxy's rate limit, docker/bench/compose.bench.yaml and compose.peers.yaml ` +
        'no longer turn it off (PROXY_RATE_LIMIT=off) the way the proxy now reads it',
    );
  }
}

interface PeerUrls {
  readonly flask: string;
  readonly bareProxy: string;
  readonly bareDirect: string;
}

async function answerToPost(url: string): Promise<string> {
  const response = await fetch(`${url}/`, {
    method: 'POST',
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`POST / on ${url} answered ${response.status}: ${body}`);
  return body;
}

/**
 * A peer that lists other accounts than the stack does measures something
 * else: the bare handler must answer byte for byte as the stack does, and the
 * talk's app (which indents its JSON and calls it HTML) with the same accounts.
 */
async function checkPeersAnswerAlike(stackUrl: string, peers: PeerUrls): Promise<void> {
  const stack = await answerToPost(stackUrl);
  for (const [name, url] of [
    ['the bare handler via nginx', peers.bareProxy],
    ['the bare handler direct', peers.bareDirect],
  ] as const) {
    const body = await answerToPost(url);
    if (body !== stack) problems.push(`POST /: ${name} answered ${body}, the stack ${stack}`);
  }
  const flask = await answerToPost(peers.flask);
  if (!isDeepStrictEqual(JSON.parse(flask), JSON.parse(stack))) {
    problems.push(`POST /: the talk's Flask app listed ${JSON.stringify(JSON.parse(flask))}, the stack ${stack}`);
  }
}

/** What the peers run, read from them: the images, and the Flask and Werkzeug the talk's app imports. */
async function describePeers(): Promise<Peers> {
  const model = await peersModel(signal);
  const versions = await compose(
    [
      'exec',
      '-T',
      'flask',
      'python',
      '-c',
      'from importlib.metadata import version; print(version("flask"), version("werkzeug"))',
    ],
    onPeers({ signal }),
  );
  const [flaskVersion, werkzeugVersion] = versions.trim().split(' ');
  const flaskImage = model.services.flask?.image;
  const bareImage = model.services.api?.image;
  if (!flaskImage || !bareImage || !flaskVersion || !werkzeugVersion) {
    throw new Error(
      `docker/bench/compose.peers.yaml's images or the Flask app's versions are unreadable ('${versions.trim()}')`,
    );
  }
  return { flask: { image: flaskImage, flaskVersion, werkzeugVersion }, bare: { image: bareImage } };
}

/**
 * nginx re-resolves `api` every few seconds; until it has, a second replica gets
 * nothing. Probes through the proxy until its log shows every replica answering.
 */
async function waitForSpread(baseUrl: string, replicas: number): Promise<void> {
  const since = new Date().toISOString();
  for (let round = 0; round < 40; round += 1) {
    for (let i = 0; i < 10; i += 1) {
      const response = await fetch(`${baseUrl}/`, {
        method: 'POST',
        signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
      });
      await response.arrayBuffer();
    }
    const upstreams = new Set(
      jsonLines(await compose(['logs', '--no-log-prefix', '--since', since, 'proxy'], onStack({ signal })))
        .map((line) => line.upstream_addr as string | undefined)
        .filter(Boolean),
    );
    if (upstreams.size >= replicas) return;
    await sleep(500, undefined, { signal });
  }
  throw new Error(`nginx did not reach ${replicas} api replicas within 20 s`);
}

/** `docker compose up --detach --wait --no-build` on the bench stack, with more arguments. */
async function upAndWait(
  args: readonly string[] = [],
  env?: Record<string, string>,
  waitSeconds = WAIT_TIMEOUT_SECONDS,
): Promise<void> {
  await compose(
    ['up', '--detach', '--wait', '--wait-timeout', String(waitSeconds), '--no-build', ...args],
    onStack({ signal, env }),
  );
}

async function upAndTime(env?: Record<string, string>, waitSeconds = WAIT_TIMEOUT_SECONDS): Promise<number> {
  const started = performance.now();
  await upAndWait([], env, waitSeconds);
  return (performance.now() - started) / 1000;
}

/** Sends one transfer a second until one is acknowledged: the api has its database back after a restart. */
async function waitForWrites(workload: Workload, baseUrl: string): Promise<void> {
  const [{ method, path, headers, body }] = workload.requests;
  let last = '';
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
    }).catch((error: Error) => error);
    if (!(response instanceof Error) && response.status === 201) return;
    last = response instanceof Error ? response.message : `${response.status} ${await response.text()}`;
    await sleep(1_000, undefined, { signal });
  }
  throw new Error(`${workload.name} on ${baseUrl} was not acknowledged within 60 s after postgres restarted: ${last}`);
}

/**
 * One setting of the stack per way, the ways taking turns, `rounds` times:
 * before each turn, `prepare` starts a new container of what the setting is
 * read by, even where the last turn's setting was the same
 * (`--force-recreate`: an api that had served a turn already cost more per
 * request than a new one), and returns the URL to load. Each turn warms up
 * first, since a new container starts cold, and meters the containers along
 * that URL (new ones every turn) and the engine. Each row keeps its turns'
 * figures, so that a ratio can be taken within a round.
 */
async function measureTurns(
  workload: Workload,
  ways: ReadonlyArray<{ readonly way: Way; readonly prepare: () => Promise<string> }>,
  rounds: number,
): Promise<LoadRow[]> {
  const runs = ways.map((): Array<{ result: LoadResult; cpu: Record<string, number> }> => []);
  for (let round = 0; round < rounds; round += 1) {
    // A way's place in a round moves its figure (bench/README.md, "The
    // line, after the fix, pinned"), so every other round runs in reverse;
    // the last runs in order, which leaves the last way's setting on.
    const turns = (rounds - 1 - round) % 2 === 0 ? [...ways.entries()] : [...ways.entries()].reverse();
    for (const [index, { prepare }] of turns) {
      const url = await prepare();
      if (SETTINGS.warmupSeconds > 0) {
        await fire(url, workload, { connections: SETTINGS.connections, seconds: SETTINGS.warmupSeconds, signal });
      }
      const meters = [...(await metersFor(url)), engineMeter()];
      const spent: CpuSpent = meters.map(() => 0);
      const seconds = SETTINGS.seconds / SETTINGS.rounds;
      const result = await metered(meters, spent, () =>
        fire(url, workload, { connections: SETTINGS.connections, seconds, signal }),
      );
      runs[index].push({ result, cpu: perRequest(meters, spent, result.requests) });
    }
  }
  return ways.map(({ way }, index) => {
    const result = summarize(runs[index].map((run) => run.result));
    checkResponses(`${workload.name} (${way})`, result);
    // Each turn's µs per request, weighted by its requests.
    const cpuMicrosPerRequest: Record<string, number> = {};
    for (const name of new Set(runs[index].flatMap((run) => Object.keys(run.cpu)))) {
      const counted = runs[index].filter((run) => Number.isFinite(run.cpu[name]));
      const requests = counted.reduce((sum, run) => sum + run.result.requests, 0);
      if (requests > 0) {
        cpuMicrosPerRequest[name] =
          counted.reduce((sum, run) => sum + run.cpu[name] * run.result.requests, 0) / requests;
      }
    }
    log(
      `${workload.name.padEnd(18)} ${way} ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
    );
    const turns = runs[index].map((run) => ({
      requestsPerSecond: run.result.requestsPerSecond,
      cpuMicrosPerRequest: run.cpu,
    }));
    return { endpoint: workload.name, way, ...result, cpuMicrosPerRequest, turns };
  });
}

/**
 * `POST /transfers` with the backup service's WAL stream synchronous and not
 * (BACKUP_SYNCHRONOUS, read when postgres starts): one stack, postgres
 * started again in the other mode before every turn.
 */
const measureStream = (transfers: Workload, baseUrl: string) =>
  measureTurns(
    transfers,
    STREAM_MODES.map(({ synchronous, way }) => ({
      way,
      prepare: async () => {
        await upAndWait(['--no-deps', '--force-recreate', 'postgres'], { BACKUP_SYNCHRONOUS: synchronous });
        await waitForWrites(transfers, baseUrl);
        return baseUrl;
      },
    })),
    STREAM_ROUNDS,
  );

/**
 * The api's own access line where it runs: `POST /` straight at one replica,
 * its output going through the container's stdout to Docker's json-file
 * driver, at LOG_LEVEL=warn (no line per request) and info (one), the api
 * started again in the other level before every turn. Info comes last, as
 * the rest of the run expects it.
 */
const measureLogLevels = (workload: Workload) =>
  measureTurns(
    workload,
    LOG_LEVELS.map(({ level, way }) => ({
      way,
      prepare: async () => {
        await upAndWait(['--no-deps', '--force-recreate', 'api'], { LOG_LEVEL: level });
        return publishedUrl('api', API_PORT);
      },
    })),
    LOG_LEVEL_ROUNDS,
  );

/**
 * Adds api replicas and touches nothing else: without --no-recreate, an image
 * tag rebuilt meanwhile by another project on this engine (the tags are
 * compose.yaml's, shared) would recreate the proxy on a new port.
 */
async function scaleApi(replicas: number): Promise<void> {
  await upAndWait(['--no-recreate', '--scale', `api=${replicas}`]);
}

async function main(): Promise<number> {
  const [machine, revision] = await Promise.all([describeMachine(), describeRevision()]);
  if (machine.loadAverageAtStart[0] > 0.5) {
    log(`load average is ${machine.loadAverageAtStart[0]}: something else is using the CPUs, the figures will be low`);
  }

  const load: LoadRow[] = [];
  const startupSamples: number[] = [];
  let memory: Report['memory'];
  let peers: Peers;
  try {
    // A run that was killed leaves its stack and its peers behind.
    await tearDown();
    await tearDownPeers();
    await useCerts();
    log('building the images (cached after the first time)');
    await compose(['build'], onStack({ timeoutMs: IMAGE_BUILD_TIMEOUT_MS, signal }));

    for (let sample = 0; sample < SETTINGS.startupSamples; sample += 1) {
      if (sample > 0) await tearDown();
      startupSamples.push(await upAndTime());
      log(`healthy after ${startupSamples.at(-1)!.toFixed(2)} s`);
    }

    const proxyUrl = await publishedUrl('proxy', PROXY_PORT);
    const tlsUrl = await publishedTlsUrl();
    const directUrl = await publishedUrl('api', API_PORT);
    const [apiContainer] = await containerIds('api');
    const [proxyContainer] = await containerIds('proxy');
    await sleep(IDLE_SETTLE_MS, undefined, { signal });
    const idle = await sampleMemory(apiContainer, signal);

    log("starting the peers: the talk's Flask app, and a bare node handler behind the stack's nginx");
    await startPeers(proxyContainer, signal);
    const peerUrls: PeerUrls = {
      flask: await peerUrl('flask', FLASK_PORT),
      bareProxy: await peerUrl('proxy', PROXY_PORT),
      bareDirect: await peerUrl('api', API_PORT),
    };
    peers = await describePeers();
    // Before the benchmark opens its own accounts, so that the stack too lists the seed's three.
    await checkPeersAnswerAlike(proxyUrl, peerUrls);
    load.push(
      ...(await measure(TALK, [
        ['nginx, 1 api', proxyUrl],
        ['nginx HTTPS, 1 api', tlsUrl],
        ['direct to api', directUrl],
        ['nginx, bare node', peerUrls.bareProxy],
        ['direct to bare node', peerUrls.bareDirect],
        ["talk's Flask, direct", peerUrls.flask],
      ])),
    );
    await tearDownPeers();

    const plan = keyedWorkloads(BENCH_KEY, await openAccounts(proxyUrl, BENCH_KEY, signal));
    for (const workload of plan) {
      load.push(
        ...(await measure(workload, [
          ['nginx, 1 api', proxyUrl],
          ['nginx HTTPS, 1 api', tlsUrl],
          ['direct to api', directUrl],
        ])),
      );
    }

    const mixed: Workload = { name: 'all three', requests: [TALK, ...plan].flatMap((workload) => workload.requests) };
    const { peak, result } = await peakMemoryDuring(
      apiContainer,
      fire(directUrl, mixed, { connections: SETTINGS.connections, seconds: SETTINGS.memorySeconds, signal }),
      signal,
    );
    checkResponses('memory under load', result);
    memory = { method: MEMORY_METHOD, idle, underLoad: peak };

    log('the api straight, at LOG_LEVEL=warn and info, taking turns');
    load.push(...(await measureLogLevels(TALK)));

    log('scaling to 2 api replicas');
    await scaleApi(2);
    await waitForSpread(proxyUrl, 2);
    for (const workload of [TALK, ...plan]) load.push(...(await measure(workload, [['nginx, 2 api', proxyUrl]])));

    log('the same stack on PostgreSQL (compose.postgres.yaml), 1 then 3 api replicas');
    await tearDown();
    await useStore('postgres');
    await upAndTime();
    const pgUrl = await publishedUrl('proxy', PROXY_PORT);
    load.push(...(await measure(TALK, [['nginx, 1 api, PostgreSQL', pgUrl]])));
    const pgPlan = keyedWorkloads(BENCH_KEY, await openAccounts(pgUrl, BENCH_KEY, signal));
    for (const workload of pgPlan) load.push(...(await measure(workload, [['nginx, 1 api, PostgreSQL', pgUrl]])));
    await scaleApi(3);
    await waitForSpread(pgUrl, 3);
    for (const workload of [TALK, ...pgPlan])
      load.push(...(await measure(workload, [['nginx, 3 api, PostgreSQL', pgUrl]])));

    log('PostgreSQL with compose.postgres.backup.yaml, 1 api: the WAL stream synchronous and not, taking turns');
    await tearDown();
    useBackups(true);
    await upAndTime({ BACKUP_SYNCHRONOUS: STREAM_MODES[0].synchronous }, BACKUP_WAIT_TIMEOUT_SECONDS);
    const backupUrl = await publishedUrl('proxy', PROXY_PORT);
    const [, backupTransfers] = keyedWorkloads(BENCH_KEY, await openAccounts(backupUrl, BENCH_KEY, signal));
    load.push(...(await measureStream(backupTransfers, backupUrl)));
  } finally {
    log('removing the bench stack and its peers');
    await tearDown().catch((error: Error) => problems.push(`the bench stack was not removed: ${error.message}`));
    await tearDownPeers().catch((error: Error) => problems.push(`the bench peers were not removed: ${error.message}`));
  }

  let builds: BuildFigures | null = null;
  if (mode === 'full') {
    log('timing a clean build and a source-only rebuild of the api image (a few minutes)');
    builds = await timeBuilds(signal);
  }
  const apiImage = (await composeModel()).services.api?.image;
  if (!apiImage) throw new Error('compose.yaml names no image for the api');
  const image = await imageFigures(apiImage, signal);

  const startupSeconds = { samples: startupSamples, median: median(startupSamples) };
  const partial = {
    mode,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    revision,
    settings: SETTINGS,
    load,
    startupSeconds,
    memory,
    image,
    peers,
    builds,
    targets: judge(load, startupSeconds.median, memory.idle, image, builds),
  } satisfies Omit<Report, 'problems'>;
  problems.push(...missingFigures(partial));
  const report: Report = { ...partial, problems };

  process.stdout.write(`${render(report)}\n`);
  writeResults(outFile, report);
  log(`report written to ${outFile}`);
  if (problems.length > 0) {
    for (const problem of problems) log(`PROBLEM ${problem}`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // fetch() says only "fetch failed"; the reason (refused, reset, timed out) is its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  log(`failed: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exitCode = 1;
}
