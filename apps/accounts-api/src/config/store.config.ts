import { ConfigType, registerAs } from '@nestjs/config';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';
import { validateEnv } from './validate-env';

class StoreEnv {
  /** The SQLite database file; in the container it sits on the `state` named volume. */
  @IsString() @IsNotEmpty()
  readonly STORE_FILE!: string;

  /**
   * How long a write waits for another replica's transaction before the
   * request is answered 503. Replicas share one file, so writers queue.
   */
  @IsOptional() @IsInt() @Min(100) @Max(60_000)
  readonly STORE_BUSY_TIMEOUT_MS?: number;

  /** How long a stored Idempotency-Key answers retries (default one day). */
  @IsOptional() @IsInt() @Min(60) @Max(30 * 24 * 3600)
  readonly IDEMPOTENCY_KEY_TTL_SECONDS?: number;
}

export const storeConfig = registerAs('store', () => {
  const env = validateEnv(StoreEnv);
  return {
    file: env.STORE_FILE,
    busyTimeoutMs: env.STORE_BUSY_TIMEOUT_MS ?? 2_000,
    idempotencyKeyTtlSeconds: env.IDEMPOTENCY_KEY_TTL_SECONDS ?? 24 * 3600,
  };
});

export type StoreConfig = ConfigType<typeof storeConfig>;
