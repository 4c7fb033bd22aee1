import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, inspect, REPO_ROOT, useStack } from '../stack';

const stack = useStack();

const PASSWORD = readFileSync(join(REPO_ROOT, 'docker/postgres/dev-password'), 'utf8').trim();

describe('the database password, a Docker secret', () => {
  it('appears in no container environment, only as a file under /run/secrets', async () => {
    for (const service of ['proxy', 'api', 'postgres']) {
      const container = await inspect('container', stack().compose.getContainer(`${service}-1`).getId());
      const env: string[] = container.Config.Env;
      expect(env.filter((entry) => entry.includes(PASSWORD))).toEqual([]);
      expect(JSON.stringify(container.Config)).not.toContain(PASSWORD);
    }
    const api = stack().compose.getContainer('api-1').getId();
    expect(await docker(['exec', api, 'printenv', 'STORE_PASSWORD_FILE'])).toBe('/run/secrets/postgres_password\n');
    expect((await docker(['exec', api, 'cat', '/run/secrets/postgres_password'])).trim()).toBe(PASSWORD);
  });

  it('is what PostgreSQL checks when the api connects over the network: a wrong one is refused', async () => {
    const api = stack().compose.getContainer('api-1').getId();
    // From the api container, by service name, with the api's own pg client: the path the api takes.
    const connect = (password: string) =>
      docker([
        'exec',
        '-w',
        '/app',
        api,
        'node',
        '-e',
        `const { Client } = require('pg');
         const client = new Client({ host: 'postgres', user: 'accounts', database: 'accounts', password: process.argv[1] });
         client.connect().then(() => client.query('SELECT 1 AS one')).then(
           (result) => { console.log(result.rows[0].one); process.exit(0); },
           (error) => { console.log(error.message); process.exit(1); });`,
        password,
      ]);

    expect((await connect(PASSWORD)).trim()).toBe('1');
    await expect(connect('wrong')).rejects.toMatchObject({
      stdout: expect.stringMatching(/password authentication failed/),
    });
  });

  it('runs postgres hardened: its own user, read-only root, no capabilities, on the backend network only', async () => {
    const postgres = await inspect('container', stack().compose.getContainer('postgres-1').getId());

    expect(postgres.Config.User).toBe('postgres');
    expect(postgres.HostConfig.ReadonlyRootfs).toBe(true);
    expect(postgres.HostConfig.CapDrop).toEqual(['ALL']);
    expect(postgres.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(postgres.HostConfig.PortBindings ?? {}).toEqual({});
    expect(Object.keys(postgres.NetworkSettings.Networks)).toEqual([`${stack().project}_backend`]);
  });
});
