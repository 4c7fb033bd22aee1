/**
 * The benchmark's bare peer: the api's answer to the talk's POST /, the same
 * accounts as the same JSON, from a plain node:http server with nothing else
 * in the way (no framework, no store, no key check, no request log). Run by
 * docker/bench/compose.peers.yaml on the api's base image and limits, behind
 * the stack's own nginx and direct, so the api's figures can be read against
 * what Node alone does on this machine.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const PORT = 3000;
// The api's keep-alive timeouts: nginx drops a pooled upstream connection after
// 60 s, and the server must hold it longer than that, or a reused one fails.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

// The api imports the same seed on a fresh volume and answers with these three fields, by id.
const accounts = JSON.parse(readFileSync(process.env.SEED_FILE ?? '/data/seed/accounts.json', 'utf8'))
  .map(({ id, name, balance }) => ({ id, name, balance }))
  .sort((a, b) => a.id - b.id);

function send(response, status, body, headers = {}) {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

// How many connections were ever opened to it, for bench/proxy.mts: a proxy
// that reuses its upstream connections opens a few, one that churns them, many.
let connectionsOpened = 0;

const server = createServer((request, response) => {
  const path = request.url.split('?')[0];
  if (path === '/') {
    if (request.method === 'POST') return send(response, 200, JSON.stringify(accounts));
    return send(response, 405, '{"statusCode":405,"error":"Method Not Allowed"}', { allow: 'POST' });
  }
  if (path === '/health' && request.method === 'GET') return send(response, 200, '{"status":"ok"}');
  if (path === '/connections' && request.method === 'GET') {
    return send(response, 200, JSON.stringify({ opened: connectionsOpened }));
  }
  send(response, 404, '{"statusCode":404,"error":"Not Found"}');
});
server.on('connection', () => (connectionsOpened += 1));
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
server.listen(PORT, '0.0.0.0');

// As PID 1, node would ignore SIGTERM; it has nothing to finish, so it exits at once.
process.once('SIGTERM', () => process.exit(0));
