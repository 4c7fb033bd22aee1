/**
 * One real PostgreSQL for a jest run (globalSetup/globalTeardown), from the
 * same `postgres:17` image as compose.postgres.yaml. Each spec gets a fresh
 * database of its own in it (see stores.ts), so specs never share rows.
 *
 * When TEST_POSTGRES_URL is set already, that server is used and nothing is
 * started: the mutation run (test/mutation/run.mts) starts one PostgreSQL for
 * its thousands of jest runs instead of one container each.
 */
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import '../../../../test/integration/support/testcontainers-env';

export const POSTGRES_IMAGE = process.env.POSTGRES_IMAGE ?? 'postgres:17';
const PASSWORD = 'unit-tests-only';

declare global {
  // eslint-disable-next-line no-var
  var postgresContainer: StartedTestContainer | undefined;
}

export async function startPostgres(): Promise<void> {
  if (process.env.TEST_POSTGRES_URL) return;
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_PASSWORD: PASSWORD })
    .withExposedPorts(5432)
    // Over TCP: the image's first start runs a server on its socket only, then restarts it.
    .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=200'])
    .withStartupTimeout(120_000)
    .start();
  globalThis.postgresContainer = container;
  process.env.TEST_POSTGRES_URL = `postgres://postgres:${PASSWORD}@127.0.0.1:${container.getMappedPort(5432)}/postgres`;
}

/** Stops only the container startPostgres started, and forgets its URL. */
export async function stopPostgres(): Promise<void> {
  const container = globalThis.postgresContainer;
  if (!container) return;
  globalThis.postgresContainer = undefined;
  delete process.env.TEST_POSTGRES_URL;
  await container.stop({ timeout: 5_000 });
}
