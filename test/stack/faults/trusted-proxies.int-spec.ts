import { jsonLines } from '../../support/docker.ts';
import { docker, EDGE_CLIENT_ENV, edgeClient, eventually, inspect, useStack, type EdgeClient } from '../stack';

// A rate limit low enough to see whom nginx counts: 1 request a second with a
// burst of 2 lets 3 quick requests through, then 429s.
const ALLOWED_AT_ONCE = 3;
const stack = useStack({
  env: { ...EDGE_CLIENT_ENV, PROXY_RATE_LIMIT: '1r/s', PROXY_RATE_BURST: String(ALLOWED_AT_ONCE - 1) },
});

/**
 * Sends one quick request to `POST /` per X-Forwarded-For value from `client`,
 * and returns the statuses.
 */
async function sendForwarded(client: EdgeClient, prefix: string, forwardedFor: readonly string[]): Promise<number[]> {
  const script = `
(async () => {
  const statuses = [];
  const forwardedFor = ${JSON.stringify(forwardedFor)};
  for (let i = 0; i < forwardedFor.length; i++) {
    const headers = { 'X-Forwarded-For': forwardedFor[i], 'X-Request-Id': '${prefix}-' + i };
    const res = await fetch('http://proxy:8080/', { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
    await res.text();
    statuses.push(res.status);
  }
  console.log(JSON.stringify(statuses));
})();
`;
  return JSON.parse((await client.node(script)).trim().split('\n').at(-1)!) as number[];
}

/**
 * The client address nginx logged, and counted, for each of the `count`
 * requests whose id starts with `prefix`, once nginx has written all their lines.
 */
async function loggedAddresses(prefix: string, count = quickRun): Promise<string[]> {
  const lines = await eventually(async () => {
    const mine = jsonLines(await stack().composeCli(['logs', '--no-log-prefix', 'proxy'])).filter((line) =>
      String(line.request_id).startsWith(`${prefix}-`),
    );
    return mine.length >= count ? mine : undefined;
  });
  return (lines ?? []).map((line) => line.remote_addr as string);
}

/** Runs `body` with `count` client containers on the edge network, and removes them after. */
async function withClients<T>(count: number, body: (clients: EdgeClient[]) => Promise<T>): Promise<T> {
  const clients: EdgeClient[] = [];
  try {
    for (let i = 0; i < count; i++) clients.push(await edgeClient(stack()));
    return await body(clients);
  } finally {
    for (const client of clients) await client.remove();
  }
}

const forged = (n: number) => Array.from({ length: n }, (_, i) => `203.0.113.${i + 1}`);
const quickRun = ALLOWED_AT_ONCE + 3;
const expectedStatuses = (allowed: number, total: number) =>
  Array.from({ length: total }, (_, i) => (i < allowed ? 200 : 429));

describe('clients behind a load balancer (PROXY_TRUSTED_PROXIES)', () => {
  it('by default believes no X-Forwarded-For: a sender that forges one is limited as itself', async () => {
    const [statuses, sender] = await withClients(1, async ([client]) => [
      await sendForwarded(client, 'untrusted-default', forged(quickRun)),
      client.ip,
    ]);
    const addresses = await loggedAddresses('untrusted-default');
    console.info(
      `no trusted proxies, X-Forwarded-For forged: ${statuses.join(' ')}; logged as ${[...new Set(addresses)].join(', ')}`,
    );

    expect(statuses).toEqual(expectedStatuses(ALLOWED_AT_ONCE, quickRun));
    expect(new Set(addresses)).toEqual(new Set([sender]));
  });

  it('with the sender named, limits each client that its X-Forwarded-For names, and still no one else', async () => {
    const { first, second, untrusted, balancer, other } = await withClients(2, async ([balancer, other]) => {
      await stack().composeCli(['up', '--detach', '--wait', '--no-deps', 'proxy'], {
        env: { PROXY_TRUSTED_PROXIES: `${balancer.ip}/32` },
      });
      return {
        first: await sendForwarded(balancer, 'trusted-first', Array<string>(quickRun).fill('203.0.113.10')),
        // Another client behind the same balancer has a bucket of its own; one that
        // forges a hop before the balancer is still the client the balancer saw.
        second: await sendForwarded(
          balancer,
          'trusted-second',
          Array<string>(quickRun).fill('192.0.2.99, 203.0.113.20'),
        ),
        untrusted: await sendForwarded(other, 'untrusted-named', forged(quickRun)),
        balancer: balancer.ip,
        other: other.ip,
      };
    });
    const addresses = {
      first: [...new Set(await loggedAddresses('trusted-first'))],
      second: [...new Set(await loggedAddresses('trusted-second'))],
      untrusted: [...new Set(await loggedAddresses('untrusted-named'))],
    };
    console.info(
      `PROXY_TRUSTED_PROXIES=${balancer}/32: client 203.0.113.10 through it ${first.join(' ')}, ` +
        `client 203.0.113.20 through it ${second.join(' ')}, an untrusted sender forging ${untrusted.join(' ')}; ` +
        `logged as ${JSON.stringify(addresses)}`,
    );

    expect(first).toEqual(expectedStatuses(ALLOWED_AT_ONCE, quickRun));
    expect(second).toEqual(expectedStatuses(ALLOWED_AT_ONCE, quickRun));
    expect(untrusted).toEqual(expectedStatuses(ALLOWED_AT_ONCE, quickRun));
    expect(addresses).toEqual({
      first: ['203.0.113.10'],
      second: ['203.0.113.20'],
      untrusted: [other],
    });
  });

  it('refuses to start with an entry that is not an address or CIDR, and says which', async () => {
    const image = (await inspect('container', stack().compose.getContainer('api-1').getId())).Config.Image as string;
    const proxyImage = image.replace('/api:', '/proxy:');
    const hardened = ['--network', 'none', '--read-only', '--tmpfs', '/tmp'];
    for (const entry of ['10.0.0.0/33', '300.1.2.3', 'proxy.example', '*']) {
      await expect(
        docker(['run', '--rm', ...hardened, '-e', `PROXY_TRUSTED_PROXIES=10.0.0.1, ${entry}`, proxyImage]),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(
          `PROXY_TRUSTED_PROXIES must list IPv4 or IPv6 addresses or CIDRs (such as 10.0.0.0/8), separated by spaces or commas, not '${entry}'`,
        ),
      });
    }
  });
});
