import { randomBytes } from 'node:crypto';
import { containerLogs, type Json } from '../../support/docker.ts';
import { docker, eventually, inspect, jsonLogLines, useStack } from '../stack';
import { sleep, timedFetch, type FetchOutcome } from '../../support/load.ts';
import { expectErrorShape, headerOf } from '../../support/raw-http.ts';

// The gate counts the api's 401s to protected routes asked with a key that is
// not valid; one client address sends every request here.
const LIMIT = 3;
/** Short, so that the spec can wait it out; the default is 60 s. */
const WINDOW_SECONDS = 8;
const stack = useStack({ env: { PROXY_AUTH_FAILURES: String(LIMIT), PROXY_AUTH_WINDOW: String(WINDOW_SECONDS) } });

const proxyId = () => stack().compose.getContainer('proxy-1').getId();

// The shape of a key (apps/accounts-api/src/auth/api-key.ts), but not one the api issued.
const badKey = `acckey_${randomBytes(38).toString('hex')}`;
const malformedKey = `not-a-key-${randomBytes(8).toString('hex')}`;

type Sent = FetchOutcome & { readonly id: string };

let sent = 0;
/** One request with an id of its own, to find its line in the proxy's log. */
async function send(method: string, path: string, authorization?: string): Promise<Sent> {
  const id = `auth-gate-${Date.now()}-${sent++}`;
  const headers: Record<string, string> = { 'X-Request-Id': id };
  if (authorization !== undefined) headers.Authorization = authorization;
  return { ...(await timedFetch(`${stack().baseUrl}${path}`, { method, headers })), id };
}

async function proxyLine(id: string): Promise<Record<string, Json> | undefined> {
  return eventually(async () => (await jsonLogLines(proxyId())).find((line) => line.request_id === id));
}

function expectUnauthorized(answer: FetchOutcome): void {
  expect(answer.status).toBe(401);
  expect(headerOf(answer, 'www-authenticate')).toBe('Bearer realm="accounts"');
  expectErrorShape(answer);
}

describe('the gate on failed authentications per client address', () => {
  it('refuses an address with 429 after PROXY_AUTH_FAILURES bad keys, lets its requests without Authorization through, then lets it in again', async () => {
    // Without Authorization a 401 is not a guess: none of these count.
    for (let i = 0; i < LIMIT + 2; i++) expectUnauthorized(await send('GET', '/accounts'));

    const failures: Sent[] = [];
    for (let i = 0; i < LIMIT - 1; i++) failures.push(await send('GET', '/accounts', `Bearer ${badKey}`));
    failures.push(await send('POST', '/transfers', malformedKey));
    failures.forEach(expectUnauthorized);

    const refused = [
      await send('GET', '/accounts', `Bearer ${badKey}`),
      await send('POST', '/transfers', `Bearer ${badKey}`),
      await send('GET', '/accounts', malformedKey),
      // A good key too: a guesser that also holds one gets no answers either.
      await send('GET', '/accounts', `Bearer ${stack().adminKey}`),
    ];
    for (const answer of refused) {
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
    }
    console.info(
      `PROXY_AUTH_FAILURES=${LIMIT}: ${failures.length} failures answered 401, then 429 with Retry-After ` +
        refused.map((answer) => headerOf(answer, 'retry-after')).join(', '),
    );

    // Refused by nginx itself: the api never saw them.
    for (const answer of refused) {
      expect(await proxyLine(answer.id)).toMatchObject({ status: 429, upstream_addr: '', upstream_status: '' });
    }
    for (const answer of failures) {
      expect(await proxyLine(answer.id)).toMatchObject({ status: 401, upstream_status: '401' });
    }

    // The open routes, asked without Authorization, are not behind the gate.
    expect((await send('POST', '/')).status).toBe(200);
    expect((await send('GET', '/health')).status).toBe(200);
    expect((await send('GET', '/openapi.json')).status).toBe(200);

    const wait = Number(headerOf(refused.at(-1)!, 'retry-after'));
    // A little over Retry-After: nginx reads its clock once per event loop turn.
    await sleep(wait * 1_000 + 1_000);
    expect((await send('GET', '/accounts', `Bearer ${stack().adminKey}`)).status).toBe(200);
    expectUnauthorized(await send('GET', '/accounts', `Bearer ${badKey}`));
  }, 120_000);

  it('writes neither key to the proxy logs', async () => {
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
