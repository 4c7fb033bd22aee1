import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { storeConfig, type StoreConfig } from '../config/store.config';
import { Metrics } from '../metrics/metrics';
import { Store, type Executor } from '../store/store';
import { IdempotencyKeyReusedError } from './idempotency.errors';

/** A write's value, and whether it is the stored value of an earlier request with the same Idempotency-Key. */
export interface Written<T> {
  readonly value: T;
  readonly replayed: boolean;
}

/** JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function fingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header).
 * `run` is called inside the write's transaction and first claims the key
 * with an insert: a second request with the same key, on any replica, waits
 * at that insert until the first commits (the primary key's lock on
 * PostgreSQL, the write lock on SQLite), then finds its answer and replays
 * it. The claim, the write and the stored answer commit together, so nothing
 * is applied twice. Only successful answers are stored: a refused request
 * rolls its claim back and may be retried once its cause is fixed.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyService.name);
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    @Inject(storeConfig.KEY) private readonly config: StoreConfig,
    private readonly metrics: Metrics,
  ) {}

  /** Expired keys are deleted once a minute, away from requests, so no write waits on the sweep. */
  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.logger.warn(`Sweeping expired Idempotency-Keys failed: ${String(error)}`),
      );
    }, 60_000).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** Deletes the keys older than the TTL; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const { numDeletedRows } = await this.store.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', now - this.ttlMs)
      .executeTakeFirst();
    return Number(numDeletedRows);
  }

  private get ttlMs(): number {
    return this.config.idempotencyKeyTtlSeconds * 1000;
  }

  /**
   * Runs `write` once per Idempotency-Key. Keys are kept per route and per
   * API key (`by`): one client's key never replays another client's answer.
   */
  async run<T>(
    trx: Executor,
    { route, by }: { readonly route: string; readonly by: string },
    key: string | undefined,
    request: unknown,
    write: () => Promise<T>,
  ): Promise<Written<T>> {
    if (key === undefined) return { value: await write(), replayed: false };
    const scope = `${route} by ${by}`;
    const print = fingerprint(request);
    const now = Date.now();
    // An expired key that the sweep has not reached yet is a new key.
    await trx
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('created_at', '<', now - this.ttlMs)
      .execute();
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({
        scope,
        key,
        fingerprint: print,
        // Stryker disable next-line StringLiteral: the claim's body is never read: the answer replaces it before commit, or the claim rolls back
        body: '',
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .executeTakeFirst();

    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
      const stored = await trx
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'body'])
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      if (stored.fingerprint !== print) throw new IdempotencyKeyReusedError(key, route);
      this.metrics.idempotentReplay(route);
      return { value: JSON.parse(stored.body) as T, replayed: true };
    }

    const value = await write();
    await trx
      .updateTable('idempotency_keys')
      .set({ body: JSON.stringify(value) })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .execute();
    return { value, replayed: false };
  }
}
