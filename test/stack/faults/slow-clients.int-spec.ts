import { connect, type Socket } from 'node:net';
import { useStack } from '../stack';
import { loadLoop, sleep, timedFetch } from '../../support/load.ts';
import { portOf } from '../../support/raw-http.ts';

// Every request here comes from one address; the rate limit is not what is under test.
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

/** nginx.conf's client_header_timeout and client_body_timeout. */
const CLIENT_TIMEOUT_MS = 10_000;
/** Time for nginx's timer to fire and the close to reach us, on a busy machine. */
const CLOSE_MARGIN_MS = 4_000;
/** Writers stop and every socket is destroyed by then, whatever nginx does. */
const HARD_STOP_MS = CLIENT_TIMEOUT_MS + CLOSE_MARGIN_MS + 2_000;
const SLOW_HEADERS = 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n';

interface SlowClient {
  readonly socket: Socket;
  readonly openedAt: number;
  closedAt?: number;
  /** Bytes the server sent back; nginx drops a timed-out request without an answer. */
  received: number;
}

function openSlowClient(port: number, prelude: string, trickle: string | undefined): SlowClient {
  const socket = connect(port, '127.0.0.1');
  const client: SlowClient = { socket, openedAt: Date.now(), received: 0 };
  socket.on('data', (chunk) => (client.received += chunk.length));
  socket.on('close', () => (client.closedAt ??= Date.now()));
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(prelude);
    if (trickle === undefined) return;
    let at = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || Date.now() - client.openedAt > HARD_STOP_MS) return clearInterval(timer);
      socket.write(trickle[at++ % trickle.length]);
    }, 250);
    socket.on('close', () => clearInterval(timer));
  });
  return client;
}

describe('slow clients', () => {
  it('serves normal requests quickly beside 200 slowloris and 20 stalled-body sockets, and drops those after 10 s', async () => {
    const port = portOf(stack());
    const clients = [
      // Headers a byte every 250 ms: never finished within the timeout.
      ...Array.from({ length: 200 }, () => openSlowClient(port, SLOW_HEADERS, `X-Slow: ${'a'.repeat(30)}\r\n`)),
      // Complete headers, then half a body and silence.
      ...Array.from({ length: 20 }, () =>
        openSlowClient(
          port,
          `${SLOW_HEADERS}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`,
          undefined,
        ),
      ),
    ];
    const allClosed = () => clients.every((c) => c.closedAt !== undefined);

    try {
      // Give every slow connection time to be accepted before measuring.
      await sleep(500);
      const normal = await loadLoop({
        concurrency: 1,
        maxRequests: 300,
        maxDurationMs: HARD_STOP_MS,
        stop: allClosed,
        send: async () => {
          const outcome = await timedFetch(`${stack().baseUrl}/`, { method: 'POST' }, 5_000);
          await sleep(50);
          return outcome;
        },
      });
      const latencies = normal.map((o) => o.endedAt - o.startedAt).sort((a, b) => a - b);
      const lifetimes = clients.map((c) => (c.closedAt ?? Infinity) - c.openedAt);
      console.info(
        `slow clients: ${clients.length} slow sockets; normal requests sent ${normal.length}, ` +
          `failed ${normal.filter((o) => o.status !== 200).length}, ` +
          `p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms; ` +
          `slow sockets closed by nginx after ${Math.min(...lifetimes)}..${Math.max(...lifetimes)} ms`,
      );

      expect(normal.length).toBeGreaterThan(20);
      expect(normal.filter((o) => o.status !== 200)).toEqual([]);
      expect(latencies.at(-1)).toBeLessThan(1_000);
      // Closed by nginx, silently, once the timeout ran out: not before, not much after.
      expect(clients.filter((c) => c.closedAt === undefined)).toHaveLength(0);
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(CLIENT_TIMEOUT_MS - 1_000);
      expect(Math.max(...lifetimes)).toBeLessThan(CLIENT_TIMEOUT_MS + CLOSE_MARGIN_MS);
      expect(clients.filter((c) => c.received > 0)).toHaveLength(0);
    } finally {
      for (const { socket } of clients) socket.destroy();
    }
  });
});
