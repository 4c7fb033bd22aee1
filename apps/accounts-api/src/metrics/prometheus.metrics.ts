import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../common/errors/domain-error';
import { Metrics, type StoreConnections, type TransactionOutcome } from './metrics';

/**
 * Request latency buckets, in seconds, from this api's own figures
 * (bench/results/api-latest.json): on one core a read is answered in 50 to
 * 100 µs and a transfer, which waits for its commit, in about 1 ms; under
 * load the tail reaches tens of ms. 250 ms is the bound a latency objective
 * would name.
 */
export const REQUEST_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

/** A transaction holds the write lock: about 1 ms alone, seconds when writers queue behind STORE_BUSY_TIMEOUT_MS. */
export const TRANSACTION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** `accounts_api_` before every name of this api's own; Node's and the process's keep their usual names. */
const PREFIX = 'accounts_api_';

/**
 * The metrics in prom-client's text format, in a registry of their own so
 * that two apps in one process (the e2e specs) each count their own.
 * Labels are passed on every call: prom-client's labelled children hash them
 * again on each call anyway, and keeping them here measured slower.
 */
export class PrometheusMetrics extends Metrics {
  readonly enabled = true;
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'Requests answered, by method, route template (`unmatched` when no route took it) and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    registers: [this.registry],
  });
  private readonly requestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time from the request reaching the api to its connection being done with the answer, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [...REQUEST_BUCKETS],
    registers: [this.registry],
  });
  private readonly domainErrors = new Counter({
    name: `${PREFIX}domain_errors_total`,
    help: "Failures answered to clients, by their domain error's code (docs/reference: the error table)",
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly transactions = new Histogram({
    name: `${PREFIX}store_transaction_duration_seconds`,
    help: "Store transactions, by outcome: commit, or the domain error's code that rolled one back",
    labelNames: ['outcome'] as const,
    buckets: [...TRANSACTION_BUCKETS],
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: `${PREFIX}accounts_cache_lookups_total`,
    help: "Lookups in this replica's accounts cache, by result: hit or miss",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: `${PREFIX}auth_failures_total`,
    help: 'Requests refused for their API key, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly replays = new Counter({
    name: `${PREFIX}idempotent_replays_total`,
    help: 'Writes answered from a stored answer for a repeated Idempotency-Key, by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly transfers = new Counter({
    name: `${PREFIX}transfers_total`,
    help: 'Transfers committed',
    registers: [this.registry],
  });
  private readonly amountMoved = new Counter({
    name: `${PREFIX}transfers_amount_total`,
    help: 'The sum of the amounts of the transfers committed',
    registers: [this.registry],
  });
  private readonly issuances = new Counter({
    name: `${PREFIX}issuances_total`,
    help: 'Issuances committed: money brought into the books out of the issuance account',
    registers: [this.registry],
  });
  private readonly amountIssued = new Counter({
    name: `${PREFIX}issued_amount_total`,
    help: 'The sum of the amounts issued',
    registers: [this.registry],
  });

  private readConnections: () => StoreConnections = () => ({ max: 0, inUse: 0, waiting: 0 });
  constructor() {
    super();
    // Event loop delay, heap, GC, handles, CPU, memory and file descriptors.
    collectDefaultMetrics({ register: this.registry });
    // Both series from the first scrape, so that a hit ratio has a value before the first miss.
    for (const result of ['hit', 'miss'] as const) this.cacheLookups.inc({ result }, 0);
    // Read from the store at each scrape rather than kept up to date on every query.
    this.connectionGauge(
      'max',
      'The most connections the store opens: STORE_POOL_SIZE on PostgreSQL, 1 on SQLite',
      (c) => c.max,
    );
    this.connectionGauge('in_use', "The store's connections held by a query or a transaction", (c) => c.inUse);
    this.connectionGauge('waiting', 'Queries and transactions waiting for a connection to the store', (c) => c.waiting);
  }

  private connectionGauge(suffix: string, help: string, value: (now: StoreConnections) => number): Gauge {
    const read = () => value(this.readConnections());
    return new Gauge({
      name: `${PREFIX}store_connections_${suffix}`,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  request(method: string, route: string, statusClass: string, seconds: number): void {
    this.requests.inc({ method, route, status_class: statusClass });
    this.requestDuration.observe({ method, route }, seconds);
  }

  domainError(code: ErrorCode): void {
    this.domainErrors.inc({ code });
  }

  transaction(outcome: TransactionOutcome, seconds: number): void {
    this.transactions.observe({ outcome }, seconds);
  }

  cacheLookup(result: 'hit' | 'miss'): void {
    this.cacheLookups.inc({ result });
  }

  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  idempotentReplay(route: string): void {
    this.replays.inc({ route });
  }

  transfer(amount: number): void {
    this.transfers.inc();
    this.amountMoved.inc(amount);
  }

  issuance(amount: number): void {
    this.issuances.inc();
    this.amountIssued.inc(amount);
  }

  storeConnections(read: () => StoreConnections): void {
    this.readConnections = read;
  }

  /** The text exposition format, as Prometheus scrapes it. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
