import { ConfigType, registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';
import { readSecretFile } from './secret-file';
import { parseStoreUrl } from './store-url';
import { validateEnv } from './validate-env';

const STORE_MIGRATIONS = ['apply', 'check'] as const;
export type StoreMigrations = (typeof STORE_MIGRATIONS)[number];

class StoreEnv {
  /**
   * Which store, and where: `sqlite:/var/lib/accounts-api/accounts.db` (the
   * default stack, a file on the `state` volume) or
   * `postgres://accounts_api@postgres:5432/accounts?sslmode=verify-full&sslrootcert=/run/secrets/postgres_ca`.
   */
  @IsString()
  @IsNotEmpty()
  readonly STORE_URL!: string;

  /** A file holding the PostgreSQL password (a Docker secret), so that it is never in the environment. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  readonly STORE_PASSWORD_FILE?: string;

  /**
   * What the api does with the store's schema when it starts: `apply` the
   * migrations it lacks (the default, and SQLite's way), or only `check` that
   * it is at the latest version and refuse to start if not, for a role that
   * may read and write rows but not change tables: the `migrate` service of
   * compose.postgres.yaml applies them first, as the schema's owner.
   */
  @IsOptional()
  @IsIn(STORE_MIGRATIONS)
  readonly STORE_MIGRATIONS?: StoreMigrations;

  /**
   * How long a request waits for a lock (another replica's write on SQLite,
   * a row lock on PostgreSQL) or for a PostgreSQL connection before it is
   * answered 503.
   */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  readonly STORE_BUSY_TIMEOUT_MS?: number;

  /** PostgreSQL connections each replica may open; the server's max_connections is shared by all replicas. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  readonly STORE_POOL_SIZE?: number;

  /** How long a stored Idempotency-Key answers retries (default one day). */
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  readonly IDEMPOTENCY_KEY_TTL_SECONDS?: number;
}

export const storeConfig = registerAs('store', () => {
  const env = validateEnv(StoreEnv);
  let location;
  try {
    location = parseStoreUrl(env.STORE_URL);
  } catch (error) {
    throw new Error(`Invalid environment: ${(error as Error).message}`, { cause: error });
  }
  return {
    location,
    password:
      env.STORE_PASSWORD_FILE === undefined
        ? undefined
        : readSecretFile('STORE_PASSWORD_FILE', env.STORE_PASSWORD_FILE),
    migrations: env.STORE_MIGRATIONS ?? 'apply',
    busyTimeoutMs: env.STORE_BUSY_TIMEOUT_MS ?? 2_000,
    poolSize: env.STORE_POOL_SIZE ?? 10,
    idempotencyKeyTtlSeconds: env.IDEMPOTENCY_KEY_TTL_SECONDS ?? 24 * 3600,
  };
});

export type StoreConfig = ConfigType<typeof storeConfig>;
