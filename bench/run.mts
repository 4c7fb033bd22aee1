/**
 * The benchmark: `npm run bench` (full, a few minutes on 2 CPUs) or
 * `npm run bench:smoke` (about a minute; proves the harness works, judges
 * nothing). `--out FILE` writes the JSON report elsewhere than bench/results/.
 *
 * It starts compose.yaml plus docker/bench/compose.bench.yaml as the project
 * `accounts-stack-bench`, loads three endpoints through nginx with one api,
 * straight at that api, and through nginx with two; then the same stack on
 * PostgreSQL (compose.postgres.yaml) through nginx with one api and with
 * three; then it measures the image,
 * the builds, the start-up time and the api's memory. `POST /` with one api
 * takes turns with two peers (docker/bench/compose.peers.yaml, a project of
 * their own): the talk's Flask app, published straight, and a bare node:http
 * handler, behind the stack's nginx and direct. It prints the tables and
 * writes a JSON report. Missed targets never fail it; a broken run does (a
 * non-2xx response, a connection error, a missing figure, a peer that answers
 * POST / otherwise than the stack).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { imageFigures, timeBuilds, type BuildFigures } from './builds.mts';
import { failedStatuses, fire, summarize, type LoadResult, type Run, type Workload } from './load.mts';
import { metersFor, perRequest, sample, type CpuSample } from './cpu.mts';
import { describeMachine, describeRevision } from './machine.mts';
import { MEMORY_METHOD, peakMemoryDuring, sampleMemory } from './memory.mts';
import {
  PEER_ENDPOINT,
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
import { createAccountsClient } from '../libs/client/src/index.ts';
import {
  BENCH_KEY,
  REPO_ROOT,
  composeModel,
  containerIds,
  onPeers,
  onStack,
  peerUrl,
  publishedUrl,
  startPeers,
  tearDown,
  tearDownPeers,
  useStore,
} from './stack.mts';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const mode = args.smoke ? 'smoke' : 'full';
const SETTINGS: Settings = args.smoke
  ? { connections: 4, warmupSeconds: 0, seconds: 2, rounds: 1, startupSamples: 1, memorySeconds: 1 }
  : { connections: 50, warmupSeconds: 2, seconds: 10, rounds: 2, startupSamples: 3, memorySeconds: 6 };
const outFile = args.out ?? join(REPO_ROOT, 'bench/results', args.smoke ? 'smoke.json' : 'latest.json');

const PROXY_PORT = 8080;
const API_PORT = 3000;
const FLASK_PORT = 5000;
// Far above what one host reaches in a run: the count bound, beside the time bound.
const MAX_REQUESTS_PER_SECOND = 100_000;
// Both accounts start this rich and transfers alternate direction, so none can overdraw.
const OPENING_BALANCE = 1_000_000_000;
// The idle reading comes after start-up work (migrations, seed import, first probes) has ended.
const IDLE_SETTLE_MS = 2_000;
const IMAGE_BUILD_TIMEOUT_MS = 15 * 60_000;
const WAIT_TIMEOUT_SECONDS = 60;

const aborter = new AbortController();
const { signal } = aborter;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.once(name, () => aborter.abort(new Error(`stopped by ${name}`)));
}

const startedAt = new Date();
const elapsed = () => `${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`;
const log = (message: string) => process.stderr.write(`bench [${elapsed().padStart(7)}]: ${message}\n`);
const problems: string[] = [];

const AUTHORIZATION = { authorization: `Bearer ${BENCH_KEY}` };

/** The talk's contract, and the one endpoint the peers answer. */
const TALK: Workload = { name: PEER_ENDPOINT, requests: [{ method: 'POST', path: '/' }] };

/** The endpoints that need a key and two accounts of their own. */
function keyedWorkloads(a: number, b: number): Workload[] {
  const json = { ...AUTHORIZATION, 'content-type': 'application/json' };
  return [
    { name: 'GET /accounts/:id', requests: [{ method: 'GET', path: `/accounts/${a}`, headers: AUTHORIZATION }] },
    {
      name: 'POST /transfers',
      requests: [
        { method: 'POST', path: '/transfers', headers: json, body: JSON.stringify({ from: a, to: b, amount: 1 }) },
        { method: 'POST', path: '/transfers', headers: json, body: JSON.stringify({ from: b, to: a, amount: 1 }) },
      ],
    },
  ];
}

/**
 * Measures one workload along each way. The ways take turns, `rounds` times, so
 * that a change in the machine's load during the measurement hits them alike.
 */
async function measure(workload: Workload, ways: ReadonlyArray<readonly [Way, string]>): Promise<LoadRow[]> {
  const options = { connections: SETTINGS.connections, signal };
  const meters = await Promise.all(ways.map(([, url]) => metersFor(url)));
  const cpu = ways.map((_, index) => ({ before: [] as CpuSample[], after: [] as CpuSample[], meters: meters[index] }));
  if (SETTINGS.warmupSeconds > 0) {
    for (const [, url] of ways) {
      await fire(url, workload, {
        ...options,
        seconds: SETTINGS.warmupSeconds,
        maxRequests: SETTINGS.warmupSeconds * MAX_REQUESTS_PER_SECOND,
      });
    }
  }
  const seconds = SETTINGS.seconds / SETTINGS.rounds;
  const runs = ways.map(() => [] as Run[]);
  for (let round = 0; round < SETTINGS.rounds; round += 1) {
    for (const [index, [, url]] of ways.entries()) {
      cpu[index].before.push(sample(cpu[index].meters));
      runs[index].push(
        await fire(url, workload, { ...options, seconds, maxRequests: seconds * MAX_REQUESTS_PER_SECOND }),
      );
      cpu[index].after.push(sample(cpu[index].meters));
    }
  }
  return ways.map(([way], index) => {
    const result = summarize(runs[index]);
    checkResponses(`${workload.name} (${way})`, result);
    log(
      `${workload.name.padEnd(18)} ${way.padEnd(24)} ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyMs.p99.toFixed(2)} ms`,
    );
    const { before, after, meters: used } = cpu[index];
    // Summed over the rounds: each round's own difference, so the other ways' turns in between are not counted.
    const spent = used.map((_, m) =>
      before.some((b, round) => b[m] === null || after[round][m] === null)
        ? null
        : before.reduce((sum, b, round) => sum + (after[round][m]! - b[m]!), 0),
    );
    const cpuMicrosPerRequest = perRequest(used, spent, result.requests);
    return { endpoint: workload.name, way, ...result, cpuMicrosPerRequest };
  });
}

function checkResponses(label: string, result: LoadResult): void {
  const failed = failedStatuses(result);
  if (Object.keys(failed).length > 0) {
    problems.push(`${label}: non-2xx responses ${JSON.stringify(failed)}`);
    if (failed['429']) {
      problems.push(
        `${label}: 429s from the proxy's rate limit, although docker/bench/compose.bench.yaml and compose.peers.yaml set PROXY_RATE_LIMIT=off; ` +
          'the override must turn the limit off the way the proxy now reads it',
      );
    }
  }
  if (result.errors > 0)
    problems.push(`${label}: ${result.errors} requests got no response (${result.timeouts} timed out)`);
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
  const model = JSON.parse(await compose(['config', '--format', 'json'], onPeers({ signal }))) as {
    services: Record<string, { image?: string }>;
  };
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

async function createAccount(baseUrl: string, name: string): Promise<number> {
  const api = createAccountsClient({ baseUrl, apiKey: BENCH_KEY });
  const { data, error, response } = await api.POST('/accounts', {
    body: { name, openingBalance: OPENING_BALANCE },
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
  });
  if (response.status !== 201 || !data)
    throw new Error(`POST /accounts answered ${response.status}: ${JSON.stringify(error)}`);
  return data.id;
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

async function upAndTime(): Promise<number> {
  const started = performance.now();
  await compose(
    ['up', '--detach', '--wait', '--wait-timeout', String(WAIT_TIMEOUT_SECONDS), '--no-build'],
    onStack({ signal }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * Adds api replicas and touches nothing else: without --no-recreate, an image
 * tag rebuilt meanwhile by another project on this engine (the tags are
 * compose.yaml's, shared) would recreate the proxy on a new port.
 */
async function scaleApi(replicas: number): Promise<void> {
  await compose(
    [
      'up',
      '--detach',
      '--wait',
      '--wait-timeout',
      String(WAIT_TIMEOUT_SECONDS),
      '--no-build',
      '--no-recreate',
      '--scale',
      `api=${replicas}`,
    ],
    onStack({ signal }),
  );
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
    log('building the images (cached after the first time)');
    await compose(['build'], onStack({ timeoutMs: IMAGE_BUILD_TIMEOUT_MS, signal }));

    for (let sample = 0; sample < SETTINGS.startupSamples; sample += 1) {
      if (sample > 0) await tearDown();
      startupSamples.push(await upAndTime());
      log(`healthy after ${startupSamples.at(-1)!.toFixed(2)} s`);
    }

    const proxyUrl = await publishedUrl('proxy', PROXY_PORT);
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
        ['direct to api', directUrl],
        ['nginx, bare node', peerUrls.bareProxy],
        ['direct to bare node', peerUrls.bareDirect],
        ["talk's Flask, direct", peerUrls.flask],
      ])),
    );
    await tearDownPeers();

    const plan = keyedWorkloads(await createAccount(proxyUrl, 'bench-a'), await createAccount(proxyUrl, 'bench-b'));
    for (const workload of plan) {
      load.push(
        ...(await measure(workload, [
          ['nginx, 1 api', proxyUrl],
          ['direct to api', directUrl],
        ])),
      );
    }

    const mixed: Workload = { name: 'all three', requests: [TALK, ...plan].flatMap((workload) => workload.requests) };
    const { peak, result } = await peakMemoryDuring(
      apiContainer,
      fire(directUrl, mixed, {
        connections: SETTINGS.connections,
        seconds: SETTINGS.memorySeconds,
        maxRequests: SETTINGS.memorySeconds * MAX_REQUESTS_PER_SECOND,
        signal,
      }),
      signal,
    );
    checkResponses('memory under load', summarize([result]));
    memory = { method: MEMORY_METHOD, idle, underLoad: peak };

    log('scaling to 2 api replicas');
    await scaleApi(2);
    await waitForSpread(proxyUrl, 2);
    for (const workload of [TALK, ...plan]) load.push(...(await measure(workload, [['nginx, 2 api', proxyUrl]])));

    log('the same stack on PostgreSQL (compose.postgres.yaml), 1 then 3 api replicas');
    await tearDown();
    useStore('postgres');
    await upAndTime();
    const pgUrl = await publishedUrl('proxy', PROXY_PORT);
    load.push(...(await measure(TALK, [['nginx, 1 api, PostgreSQL', pgUrl]])));
    const pgPlan = keyedWorkloads(await createAccount(pgUrl, 'bench-a'), await createAccount(pgUrl, 'bench-b'));
    for (const workload of pgPlan) load.push(...(await measure(workload, [['nginx, 1 api, PostgreSQL', pgUrl]])));
    await scaleApi(3);
    await waitForSpread(pgUrl, 3);
    for (const workload of [TALK, ...pgPlan])
      load.push(...(await measure(workload, [['nginx, 3 api, PostgreSQL', pgUrl]])));
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
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
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
