import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../common/errors/domain-error';

/** How a store transaction ended: committed, or rolled back by a domain error's code, or by an unknown error (a bug). */
export type TransactionOutcome = 'commit' | ErrorCode | 'unknown_error';

/** A store's connections at one moment (Store.connections). */
export interface StoreConnections {
  /** The most it opens: STORE_POOL_SIZE on PostgreSQL, 1 on SQLite. */
  readonly max: number;
  /** Held by a query or a transaction. */
  readonly inUse: number;
  /** Queries and transactions waiting for one. */
  readonly waiting: number;
}

/**
 * What the api counts, as the features and the store report it. They depend
 * on this class alone, never on prom-client: `PrometheusMetrics` is the one
 * implementation that records, `NO_METRICS` the one that does not
 * (METRICS_PORT=off, and unit specs). Every label value passed in comes from
 * a fixed set (a route template, a domain error's code, a reason the caller
 * names in a union), never from what a client sent, so that the number of
 * series stays bounded whatever clients send.
 */
export abstract class Metrics {
  /** False for NO_METRICS: the HTTP middleware is then not even installed. */
  abstract readonly enabled: boolean;

  /** One answered (or aborted) request; see http-metrics.ts for how the labels are made. */
  abstract request(method: string, route: string, statusClass: string, seconds: number): void;
  /** A failure answered to a client, by its domain error's code. */
  abstract domainError(code: ErrorCode): void;
  abstract transaction(outcome: TransactionOutcome, seconds: number): void;
  abstract cacheLookup(result: 'hit' | 'miss'): void;
  /** `reason` is one of a fixed set that the auth feature names. */
  abstract authFailure(reason: string): void;
  /** `route` is the fixed name a write gives its Idempotency-Keys, such as `POST /transfers`. */
  abstract idempotentReplay(route: string): void;
  /** A transfer committed (replays are not counted again), and the amount it moved. */
  abstract transfer(amount: number): void;
  /** Money issued out of the issuance account (POST /issuances, or an opening balance), once committed. */
  abstract issuance(amount: number): void;
  /** Where the store's connections are read at each scrape. */
  abstract storeConnections(read: () => StoreConnections): void;
}

class NoMetrics extends Metrics {
  readonly enabled = false;
  request(): void {}
  domainError(): void {}
  transaction(): void {}
  cacheLookup(): void {}
  authFailure(): void {}
  idempotentReplay(): void {}
  transfer(): void {}
  issuance(): void {}
  storeConnections(): void {}
}

export const NO_METRICS: Metrics = new NoMetrics();

/** Seconds since `started`, a `performance.now()` reading: Prometheus measures time in seconds. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1_000;
}
