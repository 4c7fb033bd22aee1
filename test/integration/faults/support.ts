import { randomUUID } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { allPages, type Api } from '../support/http';
import { docker, type Stack } from '../support/stack';

/** A host port that is free now, for a stack that must keep its port across a proxy restart. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const portOf = (stack: Stack): number => Number(new URL(stack.baseUrl).port);

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; every value a header was sent with, in order. */
  readonly headers: Record<string, string[]>;
  readonly body: string;
}

/**
 * Sends `request` byte for byte over a fresh connection and reads one answer:
 * fetch() would normalise paths such as `/../` and refuse malformed requests
 * before they leave.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (chunks.length === 0) return reject(error ?? new Error('the connection closed without an answer'));
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (parseError) {
        reject(parseError);
      }
    };
    // Done once the answer is complete: after an error nginx may keep the
    // connection open for seconds to drain what the client still sends.
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    socket.on('end', () => finish());
    // nginx may answer (413, 431) and close before the whole request is sent;
    // the write then fails, but the answer has arrived.
    socket.on('error', (error) => finish(error));
    socket.write(request);
  });
}

function isComplete(raw: Buffer): boolean {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = raw.subarray(0, headEnd).toString('latin1');
  const body = raw.subarray(headEnd + 4);
  if (/^HTTP\/1\.[01] (1\d\d|204|304) /.test(head)) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.subarray(-5).toString('latin1') === '0\r\n\r\n';
  return false;
}

function parseResponse(raw: Buffer): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw.subarray(0, 200).toString('latin1'))}`);
  const [statusLine, ...lines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  let body = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.[0] === 'chunked') body = dechunk(body);
  else if (headers['content-length']) body = body.subarray(0, Number(headers['content-length'][0]));
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** An answer read with rawRequest() or timedFetch(). */
export type Answer = RawResponse | { readonly status: number; readonly res?: Response; readonly body?: string };

export const headerOf = (answer: Answer, name: string): string | undefined =>
  'headers' in answer ? answer.headers[name]?.[0] : (answer.res?.headers.get(name) ?? undefined);

/** The one error body shape (README, "Errors"), with the id of the X-Request-Id header. */
export function expectErrorShape(answer: Answer): void {
  const requestId = headerOf(answer, 'x-request-id');
  expect(headerOf(answer, 'content-type')).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body ?? '')).toEqual({
    statusCode: answer.status,
    error: expect.any(String),
    message: expect.any(String),
    requestId,
  });
  expect(requestId).toMatch(/\S/);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outcome of one request in a load loop. */
export interface Outcome {
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status, or 0 when the connection failed or timed out. */
  readonly status: number;
  readonly error?: string;
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

async function balanceOf(api: Api, id: number): Promise<number> {
  const res = await fetch(`${api.baseUrl}/accounts/${id}`, { headers: api.headers });
  if (res.status !== 200) throw new Error(`GET /accounts/${id} answered ${res.status}`);
  return ((await res.json()) as { balance: number }).balance;
}

/** A failure a client should retry with the same Idempotency-Key. */
const RETRYABLE = new Set([0, 502, 503, 504]);

export interface TransferLoad {
  /** Every HTTP attempt, retries included. */
  readonly attempts: Outcome[];
  /** Idempotency-Key -> transfer id, for every transfer the api acknowledged with 201. */
  readonly acknowledged: Map<string, number>;
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
  readonly replay?: boolean;
}

async function sendTransfer(api: Api, key: string, from: number, to: number): Promise<TransferOutcome> {
  const outcome = await timedFetch(`${api.baseUrl}/transfers`, {
    method: 'POST',
    headers: { ...api.headers, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: transferBody(from, to),
  });
  if (outcome.status !== 201) return outcome;
  return {
    ...outcome,
    transferId: (JSON.parse(outcome.body!) as { id: number }).id,
    replay: outcome.res?.headers.get('idempotent-replayed') === 'true',
  };
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
  const load: TransferLoad = { attempts: [], acknowledged: new Map(), replayed: 0, pending: [], rejected: [] };
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
          load.acknowledged.set(key, outcome.transferId);
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
      load.acknowledged.set(key, outcome.transferId);
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

export interface StoredTransfers {
  /** Transfer ids of the debits in `from`'s ledger and of the credits in `to`'s, sorted. */
  readonly fromTransferIds: number[];
  readonly toTransferIds: number[];
  readonly fromBalance: number;
  readonly toBalance: number;
}

/** What the store holds for the two accounts of a transfer load, read through the api. */
export async function storedTransfers(api: Api, from: number, to: number): Promise<StoredTransfers> {
  const ledgerOf = (id: number) =>
    allPages<{ transferId: number; amount: number }>(api, `/accounts/${id}/transactions?limit=100`);
  const fromLedger = (await ledgerOf(from)).filter((e) => e.amount < 0);
  const toLedger = (await ledgerOf(to)).filter((e) => e.amount > 0);
  return {
    fromTransferIds: fromLedger.map((e) => e.transferId).sort((a, b) => a - b),
    toTransferIds: toLedger.map((e) => e.transferId).sort((a, b) => a - b),
    fromBalance: await balanceOf(api, from),
    toBalance: await balanceOf(api, to),
  };
}

/** SQLite's own consistency check of the api's store, read-only, from inside the api container. */
export async function integrityCheck(apiContainerId: string): Promise<string> {
  const script =
    "const { DatabaseSync } = require('node:sqlite');" +
    "const db = new DatabaseSync(process.env.STORE_URL.replace(/^sqlite:/, ''), { readOnly: true });" +
    "process.stdout.write(db.prepare('PRAGMA integrity_check').all().map((r) => r.integrity_check).join('\\n'));";
  return (await docker(['exec', apiContainerId, 'node', '-e', script])).trim();
}

/** One line of figures for the report of a fault test. */
export function describeLoad(load: TransferLoad, stored: StoredTransfers): string {
  const failed = load.attempts.filter((a) => a.status !== 201);
  const acknowledgedIds = [...load.acknowledged.values()];
  const kinds = [...new Set(failed.map((a) => a.error ?? String(a.status)))].join(', ');
  return (
    `sent ${load.attempts.length}, failed ${failed.length}${kinds ? ` (${kinds})` : ''}, ` +
    `writes acknowledged ${load.acknowledged.size}, replayed ${load.replayed}, ` +
    `lost ${acknowledgedIds.filter((id) => !stored.fromTransferIds.includes(id)).length}, ` +
    `applied twice ${stored.fromTransferIds.length - new Set(stored.fromTransferIds).size}, ` +
    `never acknowledged ${load.pending.length}`
  );
}

/**
 * The store holds each acknowledged transfer exactly once, on both sides,
 * and nothing else moved money between the two accounts.
 */
export function expectExactlyOnce(load: TransferLoad, stored: StoredTransfers, opening: number): void {
  const acknowledgedIds = [...load.acknowledged.values()].sort((a, b) => a - b);
  expect(load.rejected).toEqual([]);
  expect(load.pending).toEqual([]);
  expect(new Set(acknowledgedIds).size).toBe(load.acknowledged.size);
  expect(stored.fromTransferIds).toEqual(acknowledgedIds);
  expect(stored.toTransferIds).toEqual(acknowledgedIds);
  expect(stored.fromBalance).toBe(opening - load.acknowledged.size);
  expect(stored.toBalance).toBe(load.acknowledged.size);
}
