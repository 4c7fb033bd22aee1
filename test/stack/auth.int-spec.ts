import { generateKey } from '../../apps/accounts-api/src/auth/api-key.ts';
import { bearer, call, clientFor } from '../support/http.ts';
import { jsonLines } from '../support/docker.ts';
import { eventually, inspect, useStack } from './stack';

// Every request here comes from one address: the proxy's rate limit and
// failed-authentication limit are specs of their own (faults/).
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off', PROXY_AUTH_FAILURES: 'off' } });

const as = (key: string) => clientFor({ baseUrl: stack().baseUrl, headers: bearer(key) });
const one = { params: { path: { id: 1 } } };
/** `dist/cli/keys.js` in an api container, as an operator runs it; exit status and output. */
async function keysCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const stdout = await stack().composeCli(['exec', '-T', 'api', 'node', 'dist/cli/keys.js', ...args]);
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** Every key this spec made or sent, to look for in the logs at the end. */
const sentKeys: string[] = [];

describe('API keys, through the proxy', () => {
  it('leaves the open routes open: the talk, /health, /openapi.json and /docs', async () => {
    const open = { baseUrl: stack().baseUrl, headers: {} };
    expect((await clientFor(open).POST('/')).response.status).toBe(200);
    expect((await clientFor(open).OPTIONS('/')).response.status).toBe(204);
    expect((await clientFor(open).GET('/health')).response.status).toBe(200);
    // Not operations of the document, so not the client's: a 405 and the document and UI themselves.
    expect((await call(open, 'GET', '/')).status).toBe(405);
    expect((await call(open, 'GET', '/openapi.json')).status).toBe(200);
    expect((await fetch(`${stack().baseUrl}/docs`)).status).toBe(200);

    const refused = await clientFor(open).GET('/accounts/{id}', one);
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('www-authenticate')).toBe('Bearer realm="accounts"');
    expect(refused.error).toMatchObject({ statusCode: 401, requestId: refused.response.headers.get('x-request-id') });
  });

  it('makes keys with the command in the api container: the key alone on the last line, clear errors otherwise', async () => {
    const made = await keysCli('create', '--name', 'cli-reader', '--scope', 'read');
    expect(made.code).toBe(0);
    const key = made.stdout.trimEnd().split('\n').at(-1)!;
    sentKeys.push(key);
    expect(key).toMatch(/^acckey_[0-9a-f]{76}$/);
    expect((await as(key).GET('/accounts/{id}', one)).response.status).toBe(200);

    expect(await keysCli('create', '--name', 'cli-reader', '--scope', 'read')).toMatchObject({
      code: 1,
      stderr: 'keys: A key named "cli-reader" already exists (names of revoked keys stay taken); choose another name\n',
    });
    expect(await keysCli('create', '--name', 'x', '--scope', 'root')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^keys: scope must be one of read, write, admin\nUsage:/),
    });
    expect(await keysCli('revoke', '--name', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'keys: No key is named "nobody"; list the keys to see their names\n',
    });

    const list = await keysCli('list');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +SCOPE +CREATED +LAST USED +REVOKED$/);
    expect(list.stdout).toMatch(/^bootstrap +admin /m);
    expect(list.stdout).toMatch(/^cli-reader +read /m);
    expect(list.stdout).not.toMatch(/acckey_|[0-9a-f]{64}/);
  });

  it('lets a read key read but not move money, and records the write key that did', async () => {
    const reader = await stack().createKey('reader', 'read');
    const payroll = await stack().createKey('payroll', 'write');
    sentKeys.push(reader, payroll);
    const before = (await as(reader).POST('/')).data;

    const refused = await as(reader).POST('/transfers', { body: { from: 3, to: 2, amount: 5 } });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.message).toBe('This route needs a key with scope write; key "reader" has scope read');
    expect((await as(reader).POST('/')).data).toEqual(before);

    const moved = await as(payroll).POST('/transfers', { body: { from: 3, to: 2, amount: 5 } });
    expect(moved.response.status).toBe(201);
    expect(moved.data?.createdBy).toBe('payroll');
    const ledger = await as(reader).GET('/accounts/{id}/transactions', { params: { path: { id: 3 } } });
    expect(ledger.data?.data.at(-1)).toMatchObject({ transferId: moved.data?.id, createdBy: 'payroll' });

    // The api's access line names the key too (its name, never the key).
    const id = moved.response.headers.get('x-request-id');
    const line = await eventually(async () =>
      jsonLines(await stack().composeCli(['logs', '--no-log-prefix', 'api'])).find((l) => l.req?.id === id && l.res),
    );
    expect(line).toMatchObject({ apiKey: 'payroll', res: { statusCode: 201 } });
  });

  it('revokes a key on every replica within a second, whichever replica revoked it', async () => {
    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=3']);
    const key = await stack().createKey('short-lived', 'read');
    sentKeys.push(key);
    // Enough requests for nginx to send some to each replica, each of which then holds the key's row.
    for (let i = 0; i < 30; i++) expect((await as(key).GET('/accounts/{id}', one)).response.status).toBe(200);

    await stack().composeCli([
      'exec',
      '-T',
      '--index',
      '3',
      'api',
      'node',
      'dist/cli/keys.js',
      'revoke',
      '--name',
      'short-lived',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++) statuses.add((await as(key).GET('/accounts/{id}', one)).response.status);
    expect([...statuses]).toEqual([401]);
    const upstreams = (await stack().composeCli(['ps', '--quiet', 'api'])).trim().split('\n');
    expect(upstreams).toHaveLength(3);
  }, 120_000);

  it('keeps an audit trail of the keys in the store, which an admin key reads through the proxy', async () => {
    const admin = as(stack().adminKey);
    const made = await admin.GET('/audit', { params: { query: { actor: 'cli', type: 'key.created' } } });
    expect(made.response.status).toBe(200);
    expect(made.data?.data.map((event) => event.subject)).toEqual(
      expect.arrayContaining(['keys/cli-reader', 'keys/reader', 'keys/payroll', 'keys/short-lived']),
    );
    const revoked = await admin.GET('/audit', { params: { query: { type: 'key.revoked' } } });
    expect(revoked.data?.data).toContainEqual(
      expect.objectContaining({ actor: 'cli', subject: 'keys/short-lived', requestId: null }),
    );
    const listed = await admin.GET('/keys');
    expect(listed.data?.find((key) => key.name === 'short-lived')).toMatchObject({ revokedBy: 'cli' });
  });

  it('keeps the bootstrap key out of every environment, and every key out of every log line', async () => {
    const wrong = generateKey();
    sentKeys.push(wrong, stack().adminKey);
    expect((await as(wrong).GET('/accounts/{id}', one)).response.status).toBe(401);

    for (const id of (await stack().composeCli(['ps', '--all', '--quiet'])).trim().split('\n')) {
      expect(JSON.stringify((await inspect('container', id)).Config)).not.toContain(stack().adminKey);
    }
    // A warning starts a write at once, unless one is under way: then it follows within half a second.
    const revoked = /Authentication failed for GET \/accounts\/1: key \\?"short-lived\\?" is revoked/;
    const logs = await eventually(async () => {
      const all = await stack().composeCli(['logs', '--no-color']);
      return revoked.test(all) ? all : undefined;
    });
    expect(logs).toMatch(/Authentication failed for GET \/accounts\/1: unknown key/);
    for (const key of sentKeys) {
      expect(logs).not.toContain(key);
      // Nor its secret half, in case a line cut the prefix off.
      expect(logs).not.toContain(key.slice(-64));
    }
  });
});
