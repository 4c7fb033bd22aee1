import { readFileSync, writeFileSync } from 'node:fs';
import { call, clientFor } from '../support/http.ts';
import { inspect, useStack } from './stack';

const stack = useStack();
const api = () => clientFor(stack());

describe('state on the named volume', () => {
  /** Where each store keeps its data, and who owns it. */
  const STATE = {
    sqlite: { service: 'api', volume: 'state', dir: '/var/lib/accounts-api', file: 'accounts.db', owner: 'node' },
    postgres: {
      service: 'postgres',
      volume: 'pgdata',
      dir: '/var/lib/postgresql/data',
      file: 'PG_VERSION',
      owner: 'postgres',
    },
  } as const;
  /** What the re-seed command names as the store it wrote. */
  const STORE_NAME = {
    sqlite: '/var/lib/accounts-api/accounts.db',
    postgres: 'postgres://accounts_api@postgres:5432/accounts?sslmode=verify-full&sslrootcert=/run/secrets/postgres_ca',
  };

  it('is a named volume that the store, running as a non-root user, writes to with no chown step', async () => {
    const state = STATE[stack().store];
    const id = (await stack().composeCli(['ps', '-q', state.service])).trim();
    const mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[] = (await inspect('container', id))
      .Mounts;
    expect(mounts.find((m) => m.Destination === state.dir)).toMatchObject({
      Type: 'volume',
      Name: `${stack().project}_${state.volume}`,
      RW: true,
    });
    const apiId = (await stack().composeCli(['ps', '-q', 'api'])).trim();
    expect(
      (await inspect('container', apiId)).Mounts.find((m: { Destination: string }) => m.Destination === '/data/seed'),
    ).toMatchObject({
      Type: 'bind',
      RW: false,
    });

    const owner = await stack().composeCli([
      'exec',
      '-T',
      state.service,
      'stat',
      '-c',
      '%U %a',
      `${state.dir}/${state.file}`,
    ]);
    expect(owner.trim()).toMatch(new RegExp(`^${state.owner} 6\\d\\d$`));
    for (const service of new Set(['api', state.service])) {
      expect((await stack().composeCli(['exec', '-T', service, 'id', '-u'])).trim()).not.toBe('0');
    }
  });

  it('applies a transfer retried with the same Idempotency-Key once', async () => {
    const request = { body: { from: 3, to: 1, amount: 5 }, params: { header: { 'Idempotency-Key': 'it-retry-1' } } };
    const first = await api().POST('/transfers', request);
    const retry = await api().POST('/transfers', request);

    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.data).toEqual(first.data);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect((await api().POST('/')).data).toEqual([
      { id: 1, name: 'joe', balance: 15 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 35 },
    ]);
    const ledger = await api().GET('/accounts/{id}/transactions', { params: { path: { id: 1 } } });
    // The seed's issuance of joe's 10, then the transfer, once.
    expect(ledger.data?.data.map((entry) => entry.amount)).toEqual([10, 5]);
  });

  it('keeps accounts and transfers across docker compose down and up', async () => {
    const created = await api().POST('/accounts', { body: { name: 'amy', openingBalance: 7 } });
    expect(created.response.status).toBe(201);
    const before = await api().GET('/accounts', { params: { query: { limit: 100 } } });

    await stack().recreate();

    const after = await api().GET('/accounts', { params: { query: { limit: 100 } } });
    expect(after.response.status).toBe(200);
    expect(after.data).toEqual(before.data);
    // Location is followed as a plain link, the way any HTTP client would.
    expect((await call(stack(), 'GET', created.response.headers.get('location')!)).body.name).toBe('amy');
  });

  it('keeps the live data when the seed file changes, says so in the log, and re-seeds on command', async () => {
    const changed = [
      { id: 1, name: 'joe', balance: 10 },
      { id: 7, name: 'ann', balance: 250 },
    ];
    writeFileSync(stack().seedFile, JSON.stringify(changed));

    await stack().composeCli(['restart', 'api']);
    await stack().composeCli(['up', '-d', '--wait']);
    const { data: live } = await api().POST('/');
    expect(live?.map((a) => a.name)).toEqual(['joe', 'bob', 'fred', 'amy']);
    expect(await stack().composeCli(['logs', 'api'])).toContain('differs from the seed imported');

    const out = await stack().composeCli(['run', '--rm', '-T', 'api', 'dist/cli/reseed.js']);
    expect(out).toContain(`Re-seeded ${STORE_NAME[stack().store]} with 2 accounts`);
    expect((await api().POST('/')).data).toEqual(changed);
    expect((await api().GET('/accounts/{id}', { params: { path: { id: 3 } } })).response.status).toBe(404);
  });

  it('refuses a bad seed file on re-seed and leaves the store untouched', async () => {
    const good = readFileSync(stack().seedFile, 'utf8');
    writeFileSync(stack().seedFile, JSON.stringify([{ id: 1, name: 'joe', balance: 1.5 }]));

    await expect(stack().composeCli(['run', '--rm', '-T', 'api', 'dist/cli/reseed.js'])).rejects.toThrow(
      /record 1 \(id 1\): balance must be an integer number/,
    );
    expect((await api().POST('/')).data).toEqual(JSON.parse(good));
    writeFileSync(stack().seedFile, good);
  });

  it('starts again from the seed file after docker compose down -v', async () => {
    expect((await api().POST('/transfers', { body: { from: 7, to: 1, amount: 50 } })).response.status).toBe(201);

    await stack().recreate({ removeVolumes: true });

    expect((await api().POST('/')).data).toEqual(JSON.parse(readFileSync(stack().seedFile, 'utf8')));
  });
});
