import { performance } from 'node:perf_hooks';
import type { Kysely, KyselyPlugin, SelectQueryBuilder, Transaction } from 'kysely';
import { DomainError } from '../common/errors/domain-error';
import { Metrics, NO_METRICS, secondsSince, type StoreConnections } from '../metrics/metrics';
import { ConnectionUse } from './connection-use';
import { StoreUnavailableError } from './store.errors';
import type { StoreSchema } from './schema';

export type StoreDialect = 'sqlite' | 'postgres';

/** Either the store itself or an open transaction on it: reads take whichever they are given. */
export type Executor = Kysely<StoreSchema>;

/**
 * The accounts store, whichever database holds it. Services write their
 * queries once, with Kysely, against `db`; what differs between SQLite and
 * PostgreSQL (how a row is locked, how ids are renumbered, how errors are
 * named) is answered by the two adapters, `sqlite/` and `postgres/`. Every
 * failure that leaves an adapter is a domain error from `store.errors.ts` or
 * an unknown error (a bug, answered 500).
 */
export abstract class Store {
  abstract readonly dialect: StoreDialect;
  abstract readonly db: Kysely<StoreSchema>;
  /** Where the data lives, for logs and messages; never a password. */
  abstract readonly location: string;
  /** The most connections it opens. */
  abstract readonly maxConnections: number;

  private metrics: Metrics = NO_METRICS;
  /** Kept by the adapter's driver (countConnections). */
  protected readonly connectionUse = new ConnectionUse();

  /**
   * Where each transaction's duration and outcome are reported, and where
   * the connections are read from; nowhere until the app says (the CLI never does).
   */
  reportTo(metrics: Metrics): void {
    this.metrics = metrics;
    metrics.storeConnections(() => this.connections());
  }

  connections(): StoreConnections {
    return { max: this.maxConnections, inUse: this.connectionUse.inUse, waiting: this.connectionUse.waiting };
  }

  /** Runs `work` in one transaction that holds the write lock it needs: all of it is committed, or none. */
  async transaction<T>(work: (trx: Transaction<StoreSchema>) => Promise<T>): Promise<T> {
    this.assertOpen();
    const started = performance.now();
    try {
      const result = await this.db.transaction().execute(work);
      this.metrics.transaction('commit', secondsSince(started));
      return result;
    } catch (error) {
      this.metrics.transaction(error instanceof DomainError ? error.code : 'unknown_error', secondsSince(started));
      throw error;
    }
  }

  /**
   * Runs `work`, which only reads, against one consistent snapshot of the
   * whole store: what a check across tables needs, so that a write
   * committed halfway through cannot make it see a discrepancy that was
   * never there. On SQLite a transaction is that already.
   */
  snapshot<T>(work: (trx: Transaction<StoreSchema>) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  /**
   * Locks the rows a select reads until the transaction ends, so two
   * transfers touching one account take turns.
   */
  abstract forUpdate<TB extends keyof StoreSchema, O>(
    query: SelectQueryBuilder<StoreSchema, TB, O>,
  ): SelectQueryBuilder<StoreSchema, TB, O>;

  /**
   * Until `trx` ends, no other transaction that takes this lock runs, on any
   * replica: the seed import takes it, so replicas starting together on an
   * empty store import the seed once.
   */
  abstract exclusiveLock(trx: Executor): Promise<void>;

  /** After rows were written with explicit ids (the seed), new rows get ids above them. */
  abstract resetIdentities(trx: Executor): Promise<void>;

  /** Brings the schema to the latest version, once, even when replicas start together. */
  abstract migrate(): Promise<string[]>;

  /**
   * A value that is different after any change to the accounts has been
   * committed, by this replica or any other, and the same while none has.
   * Answers kept in memory are keyed by it (AccountsCache). It may also change
   * when nothing the accounts show did; it never stays the same when something did.
   */
  abstract accountsVersion(): Promise<string>;

  private closed = false;

  /**
   * A query on a closed store (the api shutting down) is refused as
   * unavailable, which clients may retry on another replica, instead of
   * failing inside the driver. Adapters install it on their Kysely instance.
   */
  protected readonly closedGuard: KyselyPlugin = {
    transformQuery: ({ node }) => {
      this.assertOpen();
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };

  protected assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('The accounts store is closed; retry shortly');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}
