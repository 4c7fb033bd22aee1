import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, inspect, REPO_ROOT, useStack } from '../stack';

const stack = useStack();

const devPassword = (file: string) => readFileSync(join(REPO_ROOT, 'docker/postgres', file), 'utf8').trim();
/** The superuser's, the schema owner's and the api's. */
const PASSWORDS = ['dev-password', 'dev-owner-password', 'dev-api-password'].map(devPassword);
const API_PASSWORD = devPassword('dev-api-password');

describe('the database passwords, Docker secrets', () => {
  it('appear in no container environment, only as files under /run/secrets', async () => {
    for (const service of ['proxy', 'api', 'postgres', 'migrate']) {
      const container = await inspect('container', stack().compose.getContainer(`${service}-1`).getId());
      for (const password of PASSWORDS) expect(JSON.stringify(container.Config)).not.toContain(password);
    }
    const api = stack().compose.getContainer('api-1').getId();
    expect(await docker(['exec', api, 'printenv', 'STORE_PASSWORD_FILE'])).toBe('/run/secrets/postgres_api_password\n');
    expect((await docker(['exec', api, 'cat', '/run/secrets/postgres_api_password'])).trim()).toBe(API_PASSWORD);
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
         const ca = require('node:fs').readFileSync('/run/secrets/postgres_ca', 'utf8');
         const client = new Client({ host: 'postgres', user: 'accounts_api', database: 'accounts', password: process.argv[1], ssl: { ca } });
         client.connect().then(() => client.query('SELECT 1 AS one')).then(
           (result) => { console.log(result.rows[0].one); process.exit(0); },
           (error) => { console.log(error.message); process.exit(1); });`,
        password,
      ]);

    expect((await connect(API_PASSWORD)).trim()).toBe('1');
    await expect(connect('wrong')).rejects.toMatchObject({
      stdout: expect.stringMatching(/password authentication failed/),
    });
  });

  it('runs postgres hardened: its own user, read-only root, no capabilities, on the data network only', async () => {
    const postgres = await inspect('container', stack().compose.getContainer('postgres-1').getId());

    expect(postgres.Config.User).toBe('postgres');
    expect(postgres.HostConfig.ReadonlyRootfs).toBe(true);
    expect(postgres.HostConfig.CapDrop).toEqual(['ALL']);
    expect(postgres.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(postgres.HostConfig.PortBindings ?? {}).toEqual({});
    expect(Object.keys(postgres.NetworkSettings.Networks)).toEqual([`${stack().project}_data`]);
  });
});
