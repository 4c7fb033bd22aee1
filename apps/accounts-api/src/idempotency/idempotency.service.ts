import { createHash } from 'node:crypto';
import { Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { storeConfig, type StoreConfig } from '../config/store.config';
import { Database } from '../store/database';

/** What a write answered: kept per Idempotency-Key so a retry gets the same answer. */
export interface WriteResult<T> {
  readonly status: number;
  readonly location?: string;
  readonly body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  readonly replayed?: boolean;
}

interface StoredKey {
  readonly fingerprint: string;
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
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
 * `run` must be called inside the write's transaction: the lookup, the write
 * and the stored answer commit together, so two retries racing on replicas
 * cannot both apply. Only successful answers are stored; a refused request
 * (409, 404...) stored nothing and may be retried once its cause is fixed.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly db: Database,
    @Inject(storeConfig.KEY) private readonly store: StoreConfig,
  ) {}

  run<T>(scope: string, key: string | undefined, request: unknown, write: () => WriteResult<T>): WriteResult<T> {
    if (key === undefined) return write();
    const print = fingerprint(request);
    const now = Date.now();
    const oldest = now - this.store.idempotencyKeyTtlSeconds * 1000;
    this.db.execute('DELETE FROM idempotency_keys WHERE created_at < ?', oldest);

    const stored = this.db.get<StoredKey>(
      'SELECT fingerprint, status, location, body FROM idempotency_keys WHERE scope = ? AND key = ?',
      scope,
      key,
    );
    if (stored) {
      if (stored.fingerprint !== print) {
        throw new UnprocessableEntityException(
          `Idempotency-Key ${key} was already used for a different ${scope} request; use a new key for a new request`,
        );
      }
      return {
        status: stored.status,
        location: stored.location ?? undefined,
        body: JSON.parse(stored.body) as T,
        replayed: true,
      };
    }

    const result = write();
    this.db.execute(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, status, location, body, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      scope,
      key,
      print,
      result.status,
      result.location ?? null,
      JSON.stringify(result.body),
      now,
    );
    return result;
  }
}
