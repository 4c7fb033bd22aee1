/**
 * The throwaway PostgreSQL that the unit specs' store tests run against:
 * started once per jest run (test/unit/postgres-container.ts),
 * or once for a whole mutation run (test/mutation/run.mts). It imports no
 * file of this repository: jest's globalSetup (CommonJS, no module mapper) and
 * Node's type stripping (ES modules) need relative imports spelled
 * differently, so each caller loads testcontainers-env.ts itself first.
 */
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

const POSTGRES_IMAGE = process.env.POSTGRES_IMAGE ?? 'postgres:17';
const PASSWORD = 'unit-tests-only';

export interface PostgresServer {
  readonly container: StartedTestContainer;
  /** The superuser's URL; specs make a database of their own in it. */
  readonly url: string;
}

/** `maxConnections`: every pool that may be open at once, across the jest workers using it. */
export async function startPostgresServer(maxConnections: number): Promise<PostgresServer> {
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_PASSWORD: PASSWORD })
    .withExposedPorts(5432)
    // Over TCP: the image's first start runs a server on its socket only, then restarts it.
    .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', `max_connections=${maxConnections}`])
    .withStartupTimeout(120_000)
    .start();
  return { container, url: `postgres://postgres:${PASSWORD}@127.0.0.1:${container.getMappedPort(5432)}/postgres` };
}
