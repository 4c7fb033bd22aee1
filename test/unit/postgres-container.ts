/**
 * One real PostgreSQL for a jest run (globalSetup/globalTeardown), from the
 * same `postgres:17` image as compose.postgres.yaml. Each spec gets a fresh
 * database of its own in it (see stores.ts), so specs never share rows.
 *
 * When TEST_POSTGRES_URL is set already, that server is used and nothing is
 * started: the mutation run (test/mutation/run.mts) starts one PostgreSQL for
 * its thousands of jest runs instead of one container each.
 */
import type { StartedTestContainer } from 'testcontainers';
import '../support/testcontainers-env';
import { startPostgresServer } from '../support/postgres-server';

declare global {
  var postgresContainer: StartedTestContainer | undefined;
}

export async function startPostgres(): Promise<void> {
  if (process.env.TEST_POSTGRES_URL) return;
  const { container, url } = await startPostgresServer(200);
  globalThis.postgresContainer = container;
  process.env.TEST_POSTGRES_URL = url;
}

/** Stops only the container startPostgres started, and forgets its URL. */
export async function stopPostgres(): Promise<void> {
  const container = globalThis.postgresContainer;
  if (!container) return;
  globalThis.postgresContainer = undefined;
  delete process.env.TEST_POSTGRES_URL;
  await container.stop({ timeout: 5_000 });
}
