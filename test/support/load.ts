/**
 * Load while something fails: concurrent workers, fetch() that reports a
 * failed connection as status 0, and transfers retried with their own
 * Idempotency-Key as a careful client would.
 */
import { randomUUID } from 'node:crypto';
import type { Api } from './http.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outcome of one request in a load loop. */
export interface Outcome {
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status, or 0 when the connection failed or timed out. */
  readonly status: number;
  readonly error?: string;
  /** The X-Request-Id it was sent with, where the sender chose one: the proxy's and the api's log lines carry it. */
  readonly requestId?: string;
}

/**
 * Runs `send` from `concurrency` workers until `stop()` says so, the time is
 * up or `maxRequests` have been sent, whichever comes first.
 */
export async function loadLoop(options: {
  readonly concurrency: number;
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  readonly send: () => Promise<Outcome>;
  readonly stop?: () => boolean;
}): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + options.maxDurationMs;
  let sent = 0;
  const worker = async () => {
    while (sent < options.maxRequests && Date.now() < deadline && !options.stop?.()) {
      sent++;
      outcomes.push(await options.send());
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return outcomes;
}

export interface FetchOutcome extends Outcome {
  readonly res?: Response;
  readonly body?: string;
}

/** fetch() that never throws: a failed connection or a timeout is status 0. */
export async function timedFetch(url: string, init: RequestInit = {}, timeoutMs = 5_000): Promise<FetchOutcome> {
  const startedAt = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { startedAt, endedAt: Date.now(), status: res.status, res, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { startedAt, endedAt: Date.now(), status: 0, error: cause ?? (error as Error).name };
  }
}

/** Opens an account through the proxy and returns its id. */
export async function openAccount(api: Api, name: string, openingBalance: number): Promise<number> {
  const res = await fetch(`${api.baseUrl}/accounts`, {
    method: 'POST',
    headers: { ...api.headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, openingBalance }),
  });
  if (res.status !== 201) throw new Error(`POST /accounts answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

/**
 * The api's own 503 `store_busy`: the write waited on other transfers' row
 * locks for longer than the api's lock timeout, and was rolled back. Its
 * body says to retry, and Retry-After says when; the load retries it.
 */
export const storeBusy = (outcome: Outcome & { readonly body?: string }): boolean =>
  outcome.status === 503 && (outcome.body ?? '').includes('store is busy');

/** A failure a client should retry with the same Idempotency-Key. */
const RETRYABLE = new Set([0, 502, 503, 504]);

export interface AcknowledgedTransfer {
  readonly id: number;
  readonly createdAt: string;
  /** Date.now() when the 201 arrived. */
  readonly at: number;
}

export interface TransferLoad {
  /** Every HTTP attempt, retries included. */
  readonly attempts: Outcome[];
  /** Idempotency-Key -> transfer id, for every transfer the api acknowledged with 201. */
  readonly acknowledged: Map<string, number>;
  /**
   * Idempotency-Key -> the acknowledged transfer's id and createdAt, and when
   * the acknowledgement arrived: a restore to an earlier point may hand a
   * lost transfer's id to a later one, and createdAt tells the two apart.
   */
  readonly answers: Map<string, AcknowledgedTransfer>;
  /** Acknowledgements that were a replay of an earlier success (Idempotent-Replayed: true). */
  replayed: number;
  /** Keys still without an acknowledgement when the time ran out. */
  readonly pending: string[];
  /** Answers that are neither 201 nor retryable: a bug, whatever the fault. */
  readonly rejected: Outcome[];
}

const transferBody = (from: number, to: number) => JSON.stringify({ from, to, amount: 1 });

interface TransferOutcome extends FetchOutcome {
  readonly transferId?: number;
  readonly createdAt?: string;
  readonly replay?: boolean;
}

async function sendTransfer(api: Api, key: string, from: number, to: number): Promise<TransferOutcome> {
  const requestId = randomUUID();
  const outcome = {
    ...(await timedFetch(`${api.baseUrl}/transfers`, {
      method: 'POST',
      headers: {
        ...api.headers,
        'Content-Type': 'application/json',
        'Idempotency-Key': key,
        'X-Request-Id': requestId,
      },
      body: transferBody(from, to),
    })),
    requestId,
  };
  if (outcome.status !== 201) return outcome;
  const transfer = JSON.parse(outcome.body!) as { id: number; createdAt: string };
  return {
    ...outcome,
    transferId: transfer.id,
    createdAt: transfer.createdAt,
    replay: outcome.res?.headers.get('idempotent-replayed') === 'true',
  };
}

function acknowledge(load: TransferLoad, key: string, outcome: TransferOutcome): void {
  load.acknowledged.set(key, outcome.transferId!);
  load.answers.set(key, { id: outcome.transferId!, createdAt: outcome.createdAt!, at: outcome.endedAt });
}

/**
 * Transfers of 1 from `from` to `to`, each with its own Idempotency-Key,
 * retried with that key after a retryable failure as a careful client would.
 */
export async function transferLoad(options: {
  readonly api: Api;
  readonly from: number;
  readonly to: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly maxDurationMs: number;
  readonly stop?: () => boolean;
  readonly retryDelayMs?: number;
}): Promise<TransferLoad> {
  const load: TransferLoad = {
    attempts: [],
    acknowledged: new Map(),
    answers: new Map(),
    replayed: 0,
    pending: [],
    rejected: [],
  };
  const deadline = Date.now() + options.maxDurationMs;
  const more = () => load.attempts.length < options.maxAttempts && Date.now() < deadline;
  const worker = async () => {
    while (more() && !options.stop?.()) {
      const key = randomUUID();
      let done = false;
      while (!done && more()) {
        const outcome = await sendTransfer(options.api, key, options.from, options.to);
        load.attempts.push(outcome);
        if (outcome.transferId !== undefined) {
          acknowledge(load, key, outcome);
          if (outcome.replay) load.replayed++;
          done = true;
        } else if (RETRYABLE.has(outcome.status)) {
          await sleep(options.retryDelayMs ?? 50);
        } else {
          load.rejected.push(outcome);
          done = true;
        }
      }
      if (!done) load.pending.push(key);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return load;
}

/** Retries the keys a load left unacknowledged, once the fault is over. */
export async function settle(load: TransferLoad, api: Api, from: number, to: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (load.pending.length > 0 && Date.now() < deadline) {
    const key = load.pending[0];
    const outcome = await sendTransfer(api, key, from, to);
    load.attempts.push(outcome);
    if (outcome.transferId !== undefined) {
      acknowledge(load, key, outcome);
      if (outcome.replay) load.replayed++;
      load.pending.shift();
    } else if (RETRYABLE.has(outcome.status)) {
      await sleep(250);
    } else {
      load.rejected.push(outcome);
      load.pending.shift();
    }
  }
}
