/**
 * The load generator of both benchmarks: wrk, driven by bench/wrk.lua, one
 * thread, from the host to loopback ports. wrk times each response from the
 * moment its request was written, on a fresh connection too when the server
 * closes one after every answer (the talk's Flask app does).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/support/docker.ts';

const run = promisify(execFile);

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The status every answer to it must have. */
  readonly status: number;
}

/** One endpoint under load: requests sent in turn, so that transfers can alternate direction. */
export interface Workload {
  readonly name: string;
  readonly requests: readonly Request[];
}

export interface LoadSettings {
  readonly connections: number;
  readonly warmupSeconds: number;
  /** Seconds per row, split into `rounds` turns. */
  readonly seconds: number;
  readonly rounds: number;
}

export interface FireOptions {
  readonly connections: number;
  readonly seconds: number;
  /** A CPU to pin wrk to, so that it does not compete with what it measures. */
  readonly cpu?: number;
  readonly signal?: AbortSignal;
}

/** wrk's counts of requests that failed: socket errors, timeouts, and answers with a status of 400 or more. */
export interface Errors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly timeout: number;
  readonly status: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: Errors;
}

const SCRIPT = 'bench/wrk.lua';
const TIMEOUT_SECONDS = 10;

/** One wrk run of `seconds` against `baseUrl`. */
export async function fire(baseUrl: string, workload: Workload, options: FireOptions): Promise<LoadResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, WRK_REQUESTS: String(workload.requests.length) };
  for (const [index, request] of workload.requests.entries()) {
    const prefix = `WRK_${index + 1}_`;
    env[`${prefix}METHOD`] = request.method;
    env[`${prefix}PATH`] = request.path;
    env[`${prefix}HEADERS`] = Object.entries(request.headers ?? {})
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n');
    if (request.body !== undefined) env[`${prefix}BODY`] = request.body;
  }
  const wrk = ['wrk', '--threads', '1', '--connections', String(options.connections), '--duration'];
  wrk.push(`${options.seconds}s`, '--timeout', `${TIMEOUT_SECONDS}s`, '--script', SCRIPT, baseUrl);
  const [command, ...args] = options.cpu === undefined ? wrk : ['taskset', '--cpu-list', String(options.cpu), ...wrk];
  // wrk stops at its duration whatever the server does; past this, wrk itself hangs.
  const timeout = (options.seconds + TIMEOUT_SECONDS + 5) * 1000;
  const { stdout } = await run(command, args, { cwd: REPO_ROOT, env, signal: options.signal, timeout });
  const line = stdout.split('\n').find((text) => text.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no figures for ${workload.name} on ${baseUrl}: ${stdout.trim()}`);
  const figures = JSON.parse(line) as {
    requests: number;
    durationUs: number;
    errors: Errors;
    latencyUs: LoadResult['latencyMs'];
  };
  const seconds = figures.durationUs / 1e6;
  const { p50, p90, p99, max } = figures.latencyUs;
  return {
    requests: figures.requests,
    seconds,
    requestsPerSecond: figures.requests / seconds,
    latencyMs: { p50: p50 / 1000, p90: p90 / 1000, p99: p99 / 1000, max: max / 1000 },
    errors: figures.errors,
  };
}

/**
 * Loads one workload on each server (or each server its own, when the
 * workloads differ only in ids): a warm-up on each, then `rounds` turns
 * each, so that a change in the machine's load hits them alike. `around` wraps
 * every measured run (to meter what it costs).
 */
export async function takeTurns(
  baseUrls: readonly string[],
  workload: Workload | readonly Workload[],
  settings: LoadSettings & Omit<FireOptions, 'seconds'>,
  around: (index: number, load: () => Promise<LoadResult>) => Promise<LoadResult> = (_, load) => load(),
): Promise<LoadResult[]> {
  const workloadOf = (index: number) =>
    Array.isArray(workload) ? (workload as readonly Workload[])[index] : (workload as Workload);
  for (const [index, url] of baseUrls.entries()) await checkStatuses(url, workloadOf(index), settings.signal);
  if (settings.warmupSeconds > 0) {
    for (const [index, url] of baseUrls.entries())
      await fire(url, workloadOf(index), { ...settings, seconds: settings.warmupSeconds });
  }
  const seconds = settings.seconds / settings.rounds;
  const runs = baseUrls.map((): LoadResult[] => []);
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const [index, url] of baseUrls.entries()) {
      runs[index].push(await around(index, () => fire(url, workloadOf(index), { ...settings, seconds })));
    }
  }
  return runs.map(summarize);
}

/**
 * One row from its rounds: requests and durations added. wrk reports
 * percentiles, not its histogram, so each percentile is the highest of the
 * rounds', never below what the pooled responses would give.
 */
export function summarize(runs: readonly LoadResult[]): LoadResult {
  const total = (figure: (run: LoadResult) => number) => runs.reduce((sum, run) => sum + figure(run), 0);
  const highest = (key: keyof LoadResult['latencyMs']) => Math.max(...runs.map((run) => run.latencyMs[key]));
  const requests = total((run) => run.requests);
  const seconds = total((run) => run.seconds);
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyMs: { p50: highest('p50'), p90: highest('p90'), p99: highest('p99'), max: highest('max') },
    errors: {
      connect: total((run) => run.errors.connect),
      read: total((run) => run.errors.read),
      write: total((run) => run.errors.write),
      timeout: total((run) => run.errors.timeout),
      status: total((run) => run.errors.status),
    },
  };
}

/** What makes a row's figures untrustworthy: any failed request, or none completed. */
export function failures(label: string, result: LoadResult): string[] {
  const { connect, read, write, timeout, status } = result.errors;
  const found: string[] = [];
  if (status > 0) found.push(`${label}: ${status} answers with a status of 400 or more`);
  if (connect + read + write + timeout > 0) {
    found.push(`${label}: ${connect} connect, ${read} read and ${write} write errors, ${timeout} timeouts`);
  }
  if (result.requests === 0) found.push(`${label}: no request completed`);
  return found;
}

/**
 * Under load, wrk counts only answers of 400 or more as failed: a 200 where
 * a 304 is due, or a redirect, would pass. One of each request beforehand,
 * with its exact status checked, catches those.
 */
async function checkStatuses(baseUrl: string, workload: Workload, signal?: AbortSignal): Promise<void> {
  for (const { method, path, headers, body, status } of workload.requests) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(TIMEOUT_SECONDS * 1000)]),
    });
    const text = await response.text();
    if (response.status !== status) {
      throw new Error(
        `${workload.name}: ${method} ${path} on ${baseUrl} answered ${response.status}, not ${status}: ${text}`,
      );
    }
  }
}
