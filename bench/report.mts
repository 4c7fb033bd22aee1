import type { BuildFigures, ImageFigures } from './builds.mts';
import type { LoadResult, LoadSettings } from './wrk.mts';
import type { Machine, Revision } from './machine.mts';
import type { MemorySample } from './memory.mts';

/**
 * The ways a request reaches the api, or one of its peers on `POST /`
 * (docker/bench/compose.peers.yaml), in the order the table shows them; SQLite unless named.
 */
export const WAYS = [
  'nginx, 1 api',
  'nginx HTTPS, 1 api',
  'direct to api',
  'direct to api, LOG_LEVEL=warn',
  'direct to api, LOG_LEVEL=info',
  'nginx, bare node',
  'direct to bare node',
  "talk's Flask, direct",
  'nginx, 2 api',
  'nginx, 1 api, PostgreSQL',
  'nginx, 3 api, PostgreSQL',
  'nginx, 1 api, PostgreSQL, WAL stream synchronous',
  'nginx, 1 api, PostgreSQL, WAL stream asynchronous',
] as const;
export type Way = (typeof WAYS)[number];
/** The endpoint the peers answer: the talk's contract. */
export const PEER_ENDPOINT = 'POST /';

export interface LoadRow extends LoadResult {
  readonly endpoint: string;
  readonly way: Way;
  /**
   * µs of CPU per request in each container and in Docker's port proxy while
   * the row ran (bench/cpu.mts); absent where the host cannot tell.
   */
  readonly cpuMicrosPerRequest?: Readonly<Record<string, number>>;
  /** A row whose ways took turns, each after a restart: each turn's figures, in the order of the rounds. */
  readonly turns?: ReadonlyArray<{
    readonly requestsPerSecond: number;
    readonly cpuMicrosPerRequest: Readonly<Record<string, number>>;
  }>;
}

export interface Settings extends LoadSettings {
  readonly startupSamples: number;
  readonly memorySeconds: number;
}

export interface Report {
  readonly mode: 'full' | 'smoke';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: Machine;
  readonly revision: Revision;
  readonly settings: Settings;
  readonly load: readonly LoadRow[];
  /** Seconds from `docker compose up -d --wait` (images built, fresh volume) to every service healthy. */
  readonly startupSeconds: { readonly samples: readonly number[]; readonly median: number };
  readonly memory: { readonly method: string; readonly idle: MemorySample; readonly underLoad: MemorySample };
  readonly image: ImageFigures;
  readonly peers: Peers;
  /** Null in a smoke run, which skips the clean build. */
  readonly builds: BuildFigures | null;
  readonly targets: readonly Target[];
  /** Why this run's figures cannot be trusted; empty when they can. */
  readonly problems: readonly string[];
}

/** What the peers ran, as the run found it. */
export interface Peers {
  /** The talk's app: its image, and the Flask and Werkzeug (its development server) in it. */
  readonly flask: { readonly image: string; readonly flaskVersion: string; readonly werkzeugVersion: string };
  /** The bare node:http handler: the api's base image, the script bind-mounted. */
  readonly bare: { readonly image: string };
}

export interface Target {
  readonly name: string;
  readonly measured: number;
  readonly limit: number;
  readonly unit: string;
  readonly atMost: boolean;
  readonly pass: boolean;
}

const MB = 1e6;

export function judge(
  load: readonly LoadRow[],
  startupMedian: number,
  idle: MemorySample,
  image: ImageFigures,
  builds: BuildFigures | null,
): Target[] {
  const targets: Target[] = [];
  const target = (name: string, measured: number, unit: string, bound: '>=' | '<=', limit: number) =>
    targets.push({
      name,
      measured,
      limit,
      unit,
      atMost: bound === '<=',
      pass: bound === '<=' ? measured <= limit : measured >= limit,
    });
  for (const endpoint of new Set(load.map((row) => row.endpoint))) {
    const proxy = find(load, endpoint, 'nginx, 1 api');
    const direct = find(load, endpoint, 'direct to api');
    if (!proxy || !direct) continue;
    target(
      `${endpoint}: throughput via nginx / direct`,
      proxy.requestsPerSecond / direct.requestsPerSecond,
      '×',
      '>=',
      0.75,
    );
    target(`${endpoint}: p99 via nginx / direct`, proxy.latencyMs.p99 / direct.latencyMs.p99, '×', '<=', 2);
  }
  // Judged whether or not the rows are there: a missing peer row leaves NaN, which missingFigures reports.
  const throughput = (way: Way) => find(load, PEER_ENDPOINT, way)?.requestsPerSecond ?? Number.NaN;
  target(
    `${PEER_ENDPOINT}: throughput, stack via nginx / talk's Flask`,
    throughput('nginx, 1 api') / throughput("talk's Flask, direct"),
    '×',
    '>=',
    5,
  );
  target(
    `${PEER_ENDPOINT}: throughput, stack / bare node, both via nginx`,
    throughput('nginx, 1 api') / throughput('nginx, bare node'),
    '×',
    '>=',
    0.6,
  );
  target(
    `${PEER_ENDPOINT}: api CPU per request in its container, LOG_LEVEL=info / warn (median of the rounds)`,
    turnRatio(load, 'direct to api, LOG_LEVEL=info', 'direct to api, LOG_LEVEL=warn', 'api'),
    '×',
    '<=',
    1.1,
  );
  target('api image above its base', image.addedBytes / MB, 'MB', '<=', 40);
  if (builds)
    target('source-only rebuild / clean build', builds.sourceOnlySeconds / builds.cleanSeconds, '×', '<=', 0.25);
  target('time to healthy (median)', startupMedian, 's', '<=', 5);
  target('api memory, idle (docker stats)', idle.workingSetMiB, 'MiB', '<=', 80);
  return targets;
}

/** `meter`'s CPU per request on `PEER_ENDPOINT`, row `a` over row `b`, round by round, then the median. */
function turnRatio(load: readonly LoadRow[], a: Way, b: Way, meter: string): number {
  const [over, under] = [a, b].map((way) => find(load, PEER_ENDPOINT, way)?.turns ?? []);
  const ratios = over
    .map((turn, index) => turn.cpuMicrosPerRequest[meter] / under[index]?.cpuMicrosPerRequest[meter])
    .filter(Number.isFinite);
  return ratios.length === 0 || ratios.length !== under.length ? Number.NaN : median(ratios);
}

function find(load: readonly LoadRow[], endpoint: string, way: Way): LoadRow | undefined {
  return load.find((row) => row.endpoint === endpoint && row.way === way);
}

/** Every figure the report claims, so that a run that lost one fails instead of printing NaN. */
export function missingFigures(report: Omit<Report, 'problems'>): string[] {
  const figures: Record<string, number> = {
    'startup median': report.startupSeconds.median,
    'image bytes': report.image.bytes,
    'base image bytes': report.image.baseBytes,
    ...Object.fromEntries(Object.entries(report.memory.idle).map(([key, value]) => [`idle ${key}`, value])),
    ...Object.fromEntries(Object.entries(report.memory.underLoad).map(([key, value]) => [`under-load ${key}`, value])),
    ...(report.builds
      ? { 'clean build': report.builds.cleanSeconds, 'source-only rebuild': report.builds.sourceOnlySeconds }
      : {}),
  };
  for (const row of report.load) {
    const label = `${row.endpoint} (${row.way})`;
    figures[`${label} req/s`] = row.requestsPerSecond;
    figures[`${label} p50`] = row.latencyMs.p50;
    figures[`${label} p99`] = row.latencyMs.p99;
  }
  for (const t of report.targets) figures[`target ${t.name}`] = t.measured;
  return Object.entries(figures)
    .filter(([, value]) => !Number.isFinite(value) || value <= 0)
    .map(([name]) => `missing figure: ${name}`);
}

export function render(report: Report): string {
  const { settings, machine, memory, image, builds } = report;
  const smoke = report.mode === 'smoke';
  const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);
  const lines = [
    `Load: ${settings.connections} connections, ${settings.seconds} s per row after ${settings.warmupSeconds} s of warm-up` +
      (settings.rounds > 1 ? `, the ways to one endpoint taking turns in ${settings.rounds} rounds` : '') +
      '; latency in ms.',
    '',
    '| endpoint | path | req/s | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|',
    ...report.load.map(
      (row) =>
        `| \`${row.endpoint}\` | ${row.way} | ${Math.round(row.requestsPerSecond)} | ${ms(row.latencyMs.p50)} | ${ms(row.latencyMs.p99)} |`,
    ),
    '',
    ...renderCpu(report.load),
    `| target | measured | limit | ${smoke ? 'smoke: not judged' : 'result'} |`,
    '|---|---:|---:|---|',
    ...report.targets.map(
      (t) =>
        `| ${t.name} | ${t.measured.toFixed(2)} ${t.unit} | ${t.atMost ? '≤' : '≥'} ${t.limit} ${t.unit} | ${smoke ? '–' : t.pass ? 'PASS' : 'MISS'} |`,
    ),
    '',
    `- peers on \`${PEER_ENDPOINT}\`, loaded in the same rounds as the stack: the talk's Flask app (\`${report.peers.flask.image}\`, ` +
      `Flask ${report.peers.flask.flaskVersion}, Werkzeug ${report.peers.flask.werkzeugVersion} development server), and a bare ` +
      `node:http handler on \`${report.peers.bare.image}\` with the api's limits, behind the stack's nginx image and config; ` +
      `nginx in front of the bare handler keeps ${bareProxyShare(report.load).toFixed(2)} × of its direct throughput`,
    `- api image \`${image.image}\`: ${(image.bytes / MB).toFixed(1)} MB, of which ${(image.baseBytes / MB).toFixed(1)} MB is \`${image.base}\`${image.baseIsStandIn ? ' (the offline stand-in)' : ''}`,
    builds
      ? `- clean build ${builds.cleanSeconds.toFixed(1)} s (\`--no-cache\`), rebuild after a one-line change to \`${builds.changedFile}\` ${builds.sourceOnlySeconds.toFixed(1)} s`
      : '- build times: skipped in a smoke run',
    `- time to healthy: ${report.startupSeconds.samples.map((s) => s.toFixed(2)).join(' s, ')} s`,
    `- api memory, docker stats / node VmRSS / RssAnon (MiB): idle ${formatMemory(memory.idle)}; under load (peak over ${settings.memorySeconds} s, all three endpoints, direct) ${formatMemory(memory.underLoad)}`,
    `- machine: ${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}, Docker ${machine.docker} (${machine.storageDriver}, cgroup v${machine.cgroupVersion}), Compose ${machine.compose}, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' ')}`,
    `- revision: ${report.revision.commit ?? 'unknown'}${report.revision.dirty ? ' with uncommitted changes' : ''}`,
  ];
  return lines.join('\n');
}

/** Where each `POST /` row's CPU went, per request: one column per container or port proxy that worked. */
function renderCpu(load: readonly LoadRow[]): string[] {
  const rows = load.filter((row) => row.endpoint === PEER_ENDPOINT && row.cpuMicrosPerRequest);
  const order = ['docker-proxy', 'nginx', 'api', 'postgres', 'Flask', 'dockerd'];
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row.cpuMicrosPerRequest!)))].sort(
    (a, b) => order.indexOf(a) - order.indexOf(b),
  );
  if (columns.length === 0) return [];
  return [
    `| CPU µs per \`${PEER_ENDPOINT}\` | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map(
      (row) => `| ${row.way} | ${columns.map((c) => row.cpuMicrosPerRequest![c]?.toFixed(1) ?? '').join(' | ')} |`,
    ),
    '',
  ];
}

/** What nginx alone costs on this machine: the bare handler's throughput behind it over its throughput direct. */
export function bareProxyShare(load: readonly LoadRow[]): number {
  const proxied = find(load, PEER_ENDPOINT, 'nginx, bare node')?.requestsPerSecond ?? Number.NaN;
  return proxied / (find(load, PEER_ENDPOINT, 'direct to bare node')?.requestsPerSecond ?? Number.NaN);
}

function formatMemory(sample: MemorySample): string {
  return [sample.workingSetMiB, sample.vmRssMiB, sample.rssAnonMiB].map((value) => value.toFixed(1)).join(' / ');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
