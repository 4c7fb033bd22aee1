import { randomBytes } from 'node:crypto';
import { containerLogs, type Json } from '../../support/docker.ts';
import { ACCESS_LOG_DELAY_MS, docker, eventually, inspect, jsonLogLines, useStack } from '../stack';
import { sleep, timedFetch, type FetchOutcome } from '../../support/load.ts';
import { expectErrorShape, headerOf } from '../../support/raw-http.ts';

// The gate counts the api's 401s to requests that carry Authorization, per
// client address and per (address, key lookup id); every request here comes
// from one address, the host's, as behind a NAT or a load balancer.
const LIMIT = 3;
/** Five times LIMIT (start-proxy.sh): the junk flood's limit. */
const JUNK_LIMIT = 5 * LIMIT;
/** Short, so that the spec can wait it out; the default is 60 s. */
const WINDOW_SECONDS = 8;
const stack = useStack({ env: { PROXY_AUTH_FAILURES: String(LIMIT), PROXY_AUTH_WINDOW: String(WINDOW_SECONDS) } });

const proxyId = () => stack().compose.getContainer('proxy-1').getId();

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A key of the api's shape (apps/accounts-api/src/auth/api-key.ts) with the given lookup id, but not one it issued. */
const guess = (lookupId: string) => `acckey_${lookupId}${hex(32)}`;
const victimId = hex(6);
const badKey = guess(victimId);
const malformedKey = `not-a-key-${hex(8)}`;

type Sent = FetchOutcome & { readonly id: string };

let sent = 0;
/** One request with an id of its own, to find its line in the proxy's log. */
async function send(method: string, path: string, authorization?: string): Promise<Sent> {
  const id = `auth-gate-${Date.now()}-${sent++}`;
  const headers: Record<string, string> = { 'X-Request-Id': id };
  if (authorization !== undefined) headers.Authorization = authorization;
  return { ...(await timedFetch(`${stack().baseUrl}${path}`, { method, headers })), id };
}

const withKey = (key: string) => send('GET', '/accounts', `Bearer ${key}`);

async function proxyLine(id: string): Promise<Record<string, Json> | undefined> {
  return eventually(async () => (await jsonLogLines(proxyId())).find((line) => line.request_id === id));
}

function expectUnauthorized(answer: FetchOutcome): void {
  expect(answer.status).toBe(401);
  expect(headerOf(answer, 'www-authenticate')).toBe('Bearer realm="accounts"');
  expectErrorShape(answer);
}

/** nginx's own 429 from the gate: the error shape, Retry-After within the window, and the api never asked. */
async function expectRefused(answer: Sent): Promise<number> {
  expect(answer.status).toBe(429);
  expectErrorShape(answer);
  expect(JSON.parse(answer.body!).message).toMatch(/failed authentications.*Retry-After/);
  const retryAfter = Number(headerOf(answer, 'retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(headerOf(answer, 'x-content-type-options')).toBe('nosniff');
  expect(headerOf(answer, 'cache-control')).toBe('no-store');
  expect(headerOf(answer, 'www-authenticate')).toBeUndefined();
  expect(await proxyLine(answer.id)).toMatchObject({ status: 429, upstream_addr: '', upstream_status: '' });
  return retryAfter;
}

/** A little over Retry-After: nginx reads its clock once per event loop turn. */
const waitOut = (retryAfter: number) => sleep(retryAfter * 1_000 + 1_000);

describe('the gate on failed authentications', () => {
  it('stops a brute force against one key id with 429, while a good key from the same address keeps working', async () => {
    // Without Authorization a 401 is not a guess: none of these count.
    for (let i = 0; i < LIMIT + 2; i++) expectUnauthorized(await send('GET', '/accounts'));
    // The good key has been accepted from this address before the attack.
    expect((await withKey(stack().adminKey)).status).toBe(200);

    const failures: Sent[] = [];
    for (let i = 0; i < LIMIT - 1; i++) failures.push(await withKey(guess(victimId)));
    failures.push(await send('POST', '/transfers', `Bearer ${badKey}`));
    failures.forEach(expectUnauthorized);
    for (const answer of failures) {
      expect(await proxyLine(answer.id)).toMatchObject({ status: 401, upstream_status: '401' });
    }

    const refused = [await withKey(guess(victimId)), await send('POST', '/transfers', `Bearer ${badKey}`)];
    const waits = [];
    for (const answer of refused) waits.push(await expectRefused(answer));
    // During the brute force: the good key, and a key with another id, still reach the api.
    const good = await withKey(stack().adminKey);
    expect(good.status).toBe(200);
    expectUnauthorized(await withKey(guess(hex(6))));
    console.info(
      `PROXY_AUTH_FAILURES=${LIMIT}: ${failures.length} guesses at one key id answered 401, then 429 with Retry-After ` +
        `${waits.join(', ')}; the good key from the same address: ${good.status}`,
    );

    await waitOut(Math.max(...waits));
    expectUnauthorized(await withKey(guess(victimId)));
  }, 120_000);

  it('stops a flood of junk keys from an address, except for the keys it used successfully in the last hour', async () => {
    // Made now, and not yet used from this address.
    const unusedKey = await stack().createKey('auth-gate-unused', 'read');

    const flood: Sent[] = [];
    for (let i = 0; i < JUNK_LIMIT + 2 && flood.at(-1)?.status !== 429; i++) {
      flood.push(await (i % 2 ? send('GET', '/accounts', malformedKey) : withKey(guess(hex(6)))));
    }
    const answered = flood.filter((answer) => answer.status === 401);
    answered.forEach(expectUnauthorized);
    // The failures left from the first test's last guess count too.
    expect(answered.length).toBeGreaterThanOrEqual(JUNK_LIMIT - 2);
    expect(answered.length).toBeLessThanOrEqual(JUNK_LIMIT);
    const retryAfter = await expectRefused(flood.at(-1)!);

    // Any id is refused now, and a valid key that this address has not used lately;
    // the good key it has used keeps working, and the open routes stay open.
    await expectRefused(await withKey(guess(hex(6))));
    await expectRefused(await withKey(unusedKey));
    const good = await withKey(stack().adminKey);
    expect(good.status).toBe(200);
    expect((await send('POST', '/')).status).toBe(200);
    expect((await send('GET', '/health')).status).toBe(200);
    expect((await send('GET', '/openapi.json')).status).toBe(200);
    console.info(
      `junk flood: ${answered.length} junk keys answered 401, then 429 with Retry-After ${retryAfter}; ` +
        `the good key from the same address: ${good.status}`,
    );

    await waitOut(retryAfter);
    expect((await withKey(unusedKey)).status).toBe(200);
  }, 120_000);

  it("keeps refusing a key id whose count outlives the address's", async () => {
    // The address's count starts now, with one junk key; the id's starts
    // later, so it ends later: the gate must still ask for it once the
    // address's count has gone (it skips the lookups when neither exists).
    const started = Date.now();
    expectUnauthorized(await send('GET', '/accounts', malformedKey));
    await sleep((WINDOW_SECONDS / 2) * 1_000);
    const lateId = hex(6);
    for (let i = 0; i < LIMIT; i++) expectUnauthorized(await withKey(guess(lateId)));
    await expectRefused(await withKey(guess(lateId)));
    // The address's count has expired (a second's margin for nginx's clock); the id's has not.
    await sleep(Math.max(0, started + (WINDOW_SECONDS + 1.5) * 1_000 - Date.now()));
    await expectRefused(await withKey(guess(lateId)));
    expectUnauthorized(await withKey(guess(hex(6))));
  }, 60_000);

  it('writes neither key to the proxy logs', async () => {
    await new Promise((resolve) => setTimeout(resolve, ACCESS_LOG_DELAY_MS));
    const logs = await containerLogs(proxyId());

    expect(logs).not.toContain(badKey.slice('acckey_'.length));
    expect(logs).not.toContain(malformedKey);
    const lines = await jsonLogLines(proxyId());
    expect(lines.some((line) => line.status === 429)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('Bearer');
  });

  it('refuses to start with a limit that is neither a whole number >= 1 nor off, and says which variable is wrong', async () => {
    const image = (await inspect('container', proxyId())).Config.Image as string;
    const hardened = ['--network', 'none', '--read-only', '--tmpfs', '/tmp'];

    const started = docker(['run', '--rm', ...hardened, '-e', 'PROXY_AUTH_FAILURES=0', image]);

    await expect(started).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("PROXY_AUTH_FAILURES must be a whole number >= 1, or off, not '0'"),
    });
    await expect(docker(['run', '--rm', ...hardened, '-e', 'PROXY_AUTH_WINDOW=1m', image])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("PROXY_AUTH_WINDOW must be a whole number of seconds >= 1, not '1m'"),
    });
  });
});
