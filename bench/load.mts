import autocannon from 'autocannon';

/** One endpoint under load: the request cycle each connection repeats. */
export interface Workload {
  readonly name: string;
  readonly requests: autocannon.Request[];
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** A ceiling on requests, so that a run is bounded in count as well as in time. */
  readonly maxRequests: number;
  readonly signal: AbortSignal;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Exact percentiles over every response, in milliseconds. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly statusCodes: Record<string, number>;
  /** Connection errors and timeouts: requests that got no response at all. */
  readonly errors: number;
  readonly timeouts: number;
}

/** One autocannon run, kept raw so that several runs of one measurement can be merged. */
export interface Run {
  /** Every response's latency in milliseconds. */
  readonly latencies: readonly number[];
  readonly seconds: number;
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

const REQUEST_TIMEOUT_SECONDS = 10;
// A run that outlives its duration by this much is stopped and fails: the server hangs.
const GRACE_MS = REQUEST_TIMEOUT_SECONDS * 1000 + 5_000;

/**
 * Drives `baseUrl` with the workload's requests for `seconds`.
 * autocannon's own histogram keeps whole milliseconds, too coarse for sub-millisecond
 * p50s, so latencies are collected from its response events instead.
 */
export function fire(baseUrl: string, workload: Workload, options: LoadOptions): Promise<Run> {
  options.signal.throwIfAborted();
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    let stop = () => {};
    let watchdog: NodeJS.Timeout | undefined;
    let overran = false;
    const finish = (error: unknown, result: autocannon.Result) => {
      clearTimeout(watchdog);
      options.signal.removeEventListener('abort', stop);
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      if (options.signal.aborted) return reject(options.signal.reason);
      if (overran)
        return reject(
          new Error(`${workload.name} on ${baseUrl} was still running ${GRACE_MS} ms after its ${options.seconds} s`),
        );
      resolve({
        latencies,
        seconds: result.duration,
        statusCodes: Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]),
        ),
        errors: result.errors,
        timeouts: result.timeouts,
      });
    };
    const instance = autocannon(
      {
        url: baseUrl,
        connections: options.connections,
        duration: options.seconds,
        maxOverallRequests: options.maxRequests,
        timeout: REQUEST_TIMEOUT_SECONDS,
        requests: workload.requests,
        setupClient: dropUnansweredOnReconnect,
      },
      finish,
    );
    instance.on('response', (_client, _status, _bytes, milliseconds) => {
      latencies.push(milliseconds);
    });
    stop = () => instance.stop();
    options.signal.addEventListener('abort', stop, { once: true });
    watchdog = setTimeout(
      () => {
        overran = true;
        stop();
      },
      options.seconds * 1000 + GRACE_MS,
    );
  });
}

interface ClientInternals {
  _connect: () => void;
  pipelinedRequests: { clear(): void };
}

/**
 * autocannon sends the next request the moment a response is in, on the same
 * connection, even when the server closes it after every response (Flask's
 * development server does, with `Connection: close`). On reconnecting it keeps
 * that request, which nobody answers, at the head of its queue, and times every
 * later response from an ever older request: seconds of latency that never
 * happened. Dropping what the closed connection left unanswered as the client
 * reconnects times each response from its own request. Responses are counted
 * alike with or without it.
 */
function dropUnansweredOnReconnect(client: autocannon.Client): void {
  const internals = client as unknown as Partial<ClientInternals>;
  const connect = internals._connect;
  if (typeof connect !== 'function' || typeof internals.pipelinedRequests?.clear !== 'function') {
    throw new Error(
      'autocannon no longer has the client internals bench/load.mts relies on (_connect, pipelinedRequests)',
    );
  }
  internals._connect = function (this: ClientInternals) {
    this.pipelinedRequests.clear();
    connect.call(this);
  };
}

/** One measurement from one or more runs of it: their responses pooled, their durations added. */
export function summarize(runs: readonly Run[]): LoadResult {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((total, run) => total + run.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN },
    statusCodes,
    errors: runs.reduce((total, run) => total + run.errors, 0),
    timeouts: runs.reduce((total, run) => total + run.timeouts, 0),
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none, so a missing figure shows. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Responses outside 2xx, by status code. */
export function failedStatuses(result: LoadResult): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodes).filter(([code]) => !code.startsWith('2')));
}
