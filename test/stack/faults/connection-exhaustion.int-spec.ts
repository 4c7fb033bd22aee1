import { connect, type Socket } from 'node:net';
import { docker, EDGE_CLIENT_ENV, edgeClient, inspect, proxyErrors, useStack, type EdgeClient } from '../stack';
import { sleep } from '../../support/load.ts';
import { portOf } from '../../support/raw-http.ts';

// The rate limit is off so that only the connection limit stands between
// one address and the proxy; every socket here comes from the host, one address.
const stack = useStack({ env: { ...EDGE_CLIENT_ENV, PROXY_RATE_LIMIT: 'off' } });

/** PROXY_CONN_LIMIT's default. */
const CONN_LIMIT = 64;
/** How long the attacker holds what it holds while the other client is measured. */
const HOLD_MS = 60_000;
/** Every attacking socket is destroyed by then, whatever the stack does. */
const HARD_STOP_MS = HOLD_MS + 15_000;
/** compose.yaml's mem_limit for the proxy. */
const PROXY_MEMORY_LIMIT = 64 * 1024 * 1024;
const TRICKLERS = 100;
/** PROXY_BODY_DEADLINE's default, in ms: a body must be in by then (body-deadline.js). */
const BODY_DEADLINE_MS = 10_000;
const SLOW_READERS = 40;
/** Swagger UI's largest asset, over a megabyte, served by the api under /docs. */
const LARGE_ASSET = '/docs/swagger-ui-bundle.js';

interface Attacker {
  readonly kind: 'trickle' | 'reader';
  readonly socket: Socket;
  readonly openedAt: number;
  closedAt?: number;
  /** The first line of the answer, when one came. */
  status?: number;
  head: string;
  received: number;
}

function open(kind: Attacker['kind'], port: number): Attacker {
  const socket = connect(port, '127.0.0.1');
  const attacker: Attacker = { kind, socket, openedAt: Date.now(), head: '', received: 0 };
  socket.on('error', () => undefined);
  socket.on('close', () => (attacker.closedAt ??= Date.now()));
  socket.on('data', (chunk: Buffer) => {
    attacker.received += chunk.length;
    if (attacker.status === undefined) {
      attacker.head = chunk.toString('latin1', 0, 2_048);
      attacker.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(attacker.head)?.[1]);
    }
    if (kind === 'reader') {
      // One chunk every few seconds: a reader that never quite stops.
      socket.pause();
      setTimeout(() => socket.resume(), 4_000).unref();
    }
  });
  socket.on('connect', () => {
    if (kind === 'reader') {
      socket.write(`GET ${LARGE_ASSET} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return;
    }
    // A body that never finishes: a byte every 3 s, under nginx's 10 s gap between reads.
    socket.write(
      'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{',
    );
    const timer = setInterval(() => {
      if (socket.destroyed || Date.now() - attacker.openedAt > HARD_STOP_MS) return clearInterval(timer);
      socket.write(' ');
    }, 3_000);
    socket.on('close', () => clearInterval(timer));
  });
  return attacker;
}

// Another client, from a container of its own on the edge network: one
// request after another for HOLD_MS, each with a 5 s timeout; prints the
// statuses and latencies as JSON.
const OTHER_CLIENT = `
const results = [];
const end = Date.now() + ${HOLD_MS};
(async () => {
  while (Date.now() < end) {
    const startedAt = Date.now();
    try {
      const res = await fetch('http://proxy:8080/', { method: 'POST', signal: AbortSignal.timeout(5000) });
      await res.text();
      results.push([res.status, Date.now() - startedAt]);
    } catch (error) {
      results.push([String(error.name), Date.now() - startedAt]);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(JSON.stringify(results));
})();
`;

/** The highest memory use of the container so far, from its cgroup (v2, or v1). */
async function peakMemory(container: string): Promise<number> {
  const read = 'cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes';
  return Number((await docker(['exec', container, 'sh', '-c', read])).trim());
}

const restarts = async (container: string) => (await inspect('container', container)).RestartCount as number;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

describe('one address that tries to exhaust the proxy', () => {
  it('holds at most PROXY_CONN_LIMIT requests for 60 s and gets 429 past it, while another client is served normally', async () => {
    const proxy = stack().compose.getContainer('proxy-1').getId();
    const api = stack().compose.getContainer('api-1').getId();
    const port = portOf(stack());
    const attackers: Attacker[] = [];
    let client: EdgeClient | undefined;
    try {
      client = await edgeClient(stack());
      // Interleaved, so that both kinds get some of the address's slots.
      const total = TRICKLERS + SLOW_READERS;
      for (let i = 0; i < total; i++) {
        const readersSoFar = attackers.filter((a) => a.kind === 'reader').length;
        attackers.push(open(readersSoFar < Math.round(((i + 1) * SLOW_READERS) / total) ? 'reader' : 'trickle', port));
      }
      const other = client.node(OTHER_CLIENT, HOLD_MS + 60_000);

      await sleep(5_000);
      const refused = attackers.filter((a) => a.status === 429);
      const heldAfterStart = attackers.filter((a) => a.status === undefined && a.closedAt === undefined);
      const readersServed = attackers.filter((a) => a.kind === 'reader' && a.status === 200);

      const results = JSON.parse((await other).trim().split('\n').at(-1)!) as [number | string, number][];
      const latencies = results.map(([, ms]) => ms).sort((a, b) => a - b);
      const failures = results.filter(([status]) => status !== 200);

      const tricklers = attackers.filter((a) => a.kind === 'trickle' && a.status !== 429);
      const readers = attackers.filter((a) => a.kind === 'reader' && a.status === 200);
      const readBytes = readers.reduce((sum, a) => sum + a.received, 0);
      const stillHeld = tricklers.filter((a) => a.closedAt === undefined);
      const trickleLives = tricklers
        .filter((a) => a.closedAt !== undefined)
        .map((a) => a.closedAt! - a.openedAt)
        .sort((a, b) => a - b);
      const peak = await peakMemory(proxy);
      const errors = failures.length > 0 ? await proxyErrors(stack()) : '';

      console.info(
        `connection exhaustion: ${TRICKLERS} trickling bodies and ${SLOW_READERS} slow readers of ${LARGE_ASSET} from one address; ` +
          `${refused.length} answered 429 at once, ${heldAfterStart.length} held unanswered (PROXY_CONN_LIMIT=${CONN_LIMIT}), ` +
          `${readersServed.length} readers served 200 (${(readBytes / 1024 / 1024).toFixed(1)} MiB read in all by the end); ` +
          `${tricklers.length - stillHeld.length} of ${tricklers.length} held trickles closed unanswered, ` +
          `after ${trickleLives[0]} to ${trickleLives.at(-1)} ms (PROXY_BODY_DEADLINE ${BODY_DEADLINE_MS / 1_000} s); ` +
          `other client: ${results.length} requests, ${failures.length} failed, ` +
          `p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms; ` +
          `proxy memory peak ${(peak / 1024 / 1024).toFixed(1)} MiB of ${PROXY_MEMORY_LIMIT / 1024 / 1024} MiB` +
          (errors ? `\n${errors}` : ''),
      );

      expect(heldAfterStart.length).toBeGreaterThan(0);
      expect(heldAfterStart.length).toBeLessThanOrEqual(CONN_LIMIT);
      expect(refused.length).toBeGreaterThanOrEqual(TRICKLERS + SLOW_READERS - CONN_LIMIT - readersServed.length);
      for (const answer of refused) {
        expect(answer.head).toMatch(/\r\nRetry-After: 1\r\n/);
        expect(answer.head).toContain('"statusCode":429');
      }

      expect(results.length).toBeGreaterThan(100);
      expect(failures).toEqual([]);
      expect(latencies.at(-1)).toBeLessThan(1_000);

      // nginx buffers the bodies and forwards none unfinished; each held one
      // keeps one of the address's slots until its whole-body deadline, then
      // its connection is closed, with no answer, as nginx's own timeouts do,
      // when nginx next reads from it: at the first byte after the deadline.
      expect(tricklers.length).toBeGreaterThan(0);
      expect(tricklers.map((a) => a.status ?? 'no answer').filter((status) => status !== 'no answer')).toEqual([]);
      expect(stillHeld).toEqual([]);
      expect(trickleLives[0]).toBeGreaterThanOrEqual(BODY_DEADLINE_MS - 500);
      expect(trickleLives.at(-1)).toBeLessThan(BODY_DEADLINE_MS + 5_000);

      expect(peak).toBeLessThan(PROXY_MEMORY_LIMIT);
      expect(await restarts(proxy)).toBe(0);
      expect(await restarts(api)).toBe(0);
      expect((await inspect('container', proxy)).State.Running).toBe(true);
    } finally {
      for (const { socket } of attackers) socket.destroy();
      await client?.remove();
    }
  }, 180_000);

  it.each([
    ['PROXY_CONN_LIMIT', 'lots', "PROXY_CONN_LIMIT must be a whole number >= 1, or off, not 'lots'"],
    ['PROXY_BODY_DEADLINE', '0', "PROXY_BODY_DEADLINE must be a whole number of seconds >= 1, or off, not '0'"],
  ])('refuses to start with a %s that is neither a whole number >= 1 nor off', async (name, value, message) => {
    const image = (await inspect('container', stack().compose.getContainer('proxy-1').getId())).Config.Image as string;
    const started = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-e',
      `${name}=${value}`,
      image,
    ]);

    await expect(started).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(message) });
  });
});
