import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, inspect, useStack } from '../stack';
import { expectErrorShape, portOf, rawRequest } from '../../support/raw-http.ts';

/** A string is taken byte for byte (Latin-1); the other forms spell bytes that are not text, or long values. */
type Bytes = string | { base64: string } | { prefix?: string; repeat: string; times: number; suffix?: string };

interface BadInput {
  readonly name: string;
  readonly method: string;
  readonly path: Bytes;
  readonly headers?: Record<string, Bytes | Bytes[]>;
  readonly body?: Bytes;
  /** Send no Host header. */
  readonly noHost?: boolean;
  /** A code, a list of codes, or a class such as "4xx". */
  readonly status: number | number[] | string;
}

const corpus = JSON.parse(readFileSync(join(__dirname, '../fixtures/bad-input.json'), 'utf8')) as { cases: BadInput[] };

// The corpus is sent as fast as it runs, from one address.
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off', PROXY_AUTH_FAILURES: 'off' } });

function bytes(value: Bytes): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  if ('base64' in value) return Buffer.from(value.base64, 'base64');
  return Buffer.from(`${value.prefix ?? ''}${value.repeat.repeat(value.times)}${value.suffix ?? ''}`, 'latin1');
}

/** Every case is sent with the admin key, unless it is about the Authorization header itself. */
function requestOf(input: BadInput, adminKey: string): Buffer {
  const lines: Buffer[] = [Buffer.from(`${input.method} `), bytes(input.path), Buffer.from(' HTTP/1.1\r\n')];
  const header = (name: string, value: Buffer) => lines.push(Buffer.from(`${name}: `), value, Buffer.from('\r\n'));
  if (!input.noHost) header('Host', Buffer.from('127.0.0.1'));
  header('Connection', Buffer.from('close'));
  if (!Object.keys(input.headers ?? {}).some((name) => name.toLowerCase() === 'authorization')) {
    header('Authorization', Buffer.from(`Bearer ${adminKey}`));
  }
  for (const [name, values] of Object.entries(input.headers ?? {})) {
    for (const value of Array.isArray(values) ? values : [values]) header(name, bytes(value));
  }
  const body = input.body === undefined ? undefined : bytes(input.body);
  const framed = Object.keys(input.headers ?? {}).some((name) => /^(content-length|transfer-encoding)$/i.test(name));
  if (body && !framed) header('Content-Length', Buffer.from(String(body.length)));
  lines.push(Buffer.from('\r\n'));
  if (body) lines.push(body);
  return Buffer.concat(lines);
}

/** Matches "<status> <body>", so that a failure shows what the stack answered instead. */
function statusPattern(status: BadInput['status']): RegExp {
  const codes = Array.isArray(status) ? status.map(String) : [String(status).replace(/x/g, '\\d')];
  return new RegExp(`^(${codes.join('|')}) `);
}

describe('the bad-input corpus (test/stack/fixtures/bad-input.json)', () => {
  it('has at least 40 cases with distinct names', () => {
    const names = corpus.cases.map((c) => c.name);

    expect(names.length).toBeGreaterThanOrEqual(40);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(corpus.cases)('refuses $name with $status and the JSON error shape', async (input) => {
    const res = await rawRequest(portOf(stack()), requestOf(input, stack().adminKey));
    const requestId = res.headers['x-request-id']?.[0];

    expect(`${res.status} ${res.body.slice(0, 300)}`).toMatch(statusPattern(input.status));
    expect(res.status).toBeLessThan(500);
    expectErrorShape(res);
    // A client's id is kept only when it is a plain token: ids reach logs and headers.
    expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(res.headers['x-content-type-options']).toEqual(['nosniff']);
  });

  it('leaves the api running, healthy and unchanged: POST / still returns the seed', async () => {
    const apiId = stack().compose.getContainer('api-1').getId();
    const api = await inspect('container', apiId);
    const res = await fetch(`${stack().baseUrl}/`, { method: 'POST' });

    expect({ health: api.State.Health.Status, restarts: api.RestartCount }).toEqual({ health: 'healthy', restarts: 0 });
    expect(await docker(['exec', apiId, 'node', 'dist/healthcheck.js']).then(() => 'ok')).toBe('ok');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(stack().seedFile, 'utf8')));
  });
});
