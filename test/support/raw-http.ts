/**
 * HTTP byte for byte, for what fetch() would not send or would normalise:
 * malformed requests, paths such as `/../`, every value of a repeated
 * header; and the checks on an answer's shape, raw or fetched.
 */
import { connect, createServer } from 'node:net';
import type { Api } from './http.ts';

/** A host port that is free now, for a stack that must keep its port across a proxy restart. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The published port of a stack or a swarm's proxy, for a raw connection to it. */
export const portOf = (api: Api): number => Number(new URL(api.baseUrl).port);

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; every value a header was sent with, in order. */
  readonly headers: Record<string, string[]>;
  readonly body: string;
}

/**
 * Sends `request` byte for byte over a fresh connection and reads one answer:
 * fetch() would normalise paths such as `/../` and refuse malformed requests
 * before they leave.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (chunks.length === 0) return reject(error ?? new Error('the connection closed without an answer'));
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (parseError) {
        reject(new Error('the answer is not an HTTP response', { cause: parseError }));
      }
    };
    // Done once the answer is complete: after an error nginx may keep the
    // connection open for seconds to drain what the client still sends.
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    socket.on('end', () => finish());
    // nginx may answer (413, 431) and close before the whole request is sent;
    // the write then fails, but the answer has arrived.
    socket.on('error', (error) => finish(error));
    socket.write(request);
  });
}

function isComplete(raw: Buffer): boolean {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = raw.subarray(0, headEnd).toString('latin1');
  const body = raw.subarray(headEnd + 4);
  if (/^HTTP\/1\.[01] (1\d\d|204|304) /.test(head)) return true;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.subarray(-5).toString('latin1') === '0\r\n\r\n';
  return false;
}

function parseResponse(raw: Buffer): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw.subarray(0, 200).toString('latin1'))}`);
  const [statusLine, ...lines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  let body = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.[0] === 'chunked') body = dechunk(body);
  else if (headers['content-length']) body = body.subarray(0, Number(headers['content-length'][0]));
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** An answer read with rawRequest() or timedFetch(). */
export type Answer = RawResponse | { readonly status: number; readonly res?: Response; readonly body?: string };

export const headerOf = (answer: Answer, name: string): string | undefined =>
  'headers' in answer ? answer.headers[name]?.[0] : (answer.res?.headers.get(name) ?? undefined);

/** The one error body shape (docs/reference/errors.md), with the id of the X-Request-Id header. */
export function expectErrorShape(answer: Answer): void {
  const requestId = headerOf(answer, 'x-request-id');
  expect(headerOf(answer, 'content-type')).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body ?? '')).toEqual({
    statusCode: answer.status,
    error: expect.any(String) as unknown,
    message: expect.any(String) as unknown,
    requestId,
  });
  expect(requestId).toMatch(/\S/);
}
