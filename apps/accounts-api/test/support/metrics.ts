import { Metrics, type StoreConnections, type TransactionOutcome } from '../../src/metrics/metrics';
import type { ErrorCode } from '../../src/common/errors/domain-error';

/** One call a service made to its metrics: the method's name, then its arguments. */
export type MetricsCall = readonly [string, ...unknown[]];

/** Metrics that keep every call, so that a unit spec can say what a service counted. */
export class RecordingMetrics extends Metrics {
  readonly enabled = true;
  readonly calls: MetricsCall[] = [];

  /** The arguments of every call to `method`, in order. */
  of(method: Exclude<keyof Metrics, 'enabled'>): unknown[][] {
    return this.calls.filter(([name]) => name === method).map(([, ...args]) => args);
  }

  request(method: string, route: string, statusClass: string, seconds: number): void {
    this.calls.push(['request', method, route, statusClass, seconds]);
  }
  domainError(code: ErrorCode): void {
    this.calls.push(['domainError', code]);
  }
  transaction(outcome: TransactionOutcome, seconds: number): void {
    this.calls.push(['transaction', outcome, seconds]);
  }
  cacheLookup(result: 'hit' | 'miss'): void {
    this.calls.push(['cacheLookup', result]);
  }
  authFailure(reason: string): void {
    this.calls.push(['authFailure', reason]);
  }
  idempotentReplay(route: string): void {
    this.calls.push(['idempotentReplay', route]);
  }
  transfer(amount: number): void {
    this.calls.push(['transfer', amount]);
  }
  issuance(amount: number): void {
    this.calls.push(['issuance', amount]);
  }
  /** Kept, not called: `connections()` reads the store as a scrape would. */
  readConnections?: () => StoreConnections;
  storeConnections(read: () => StoreConnections): void {
    this.calls.push(['storeConnections']);
    this.readConnections = read;
  }
}
