import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { accessLog, LOGGED_URL_MAX, type LoggedRequest } from './access-log';

describe('accessLog', () => {
  let lines: Record<string, unknown>[];
  let server: Server;
  let port: number;

  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const middleware = accessLog(pino({ level: 'info' }, sink), '/health');
    server = createServer((req: LoggedRequest, res) =>
      middleware(req, res, () => {
        if (req.url?.startsWith('/keyed')) req.caller = { name: 'payroll' };
        if (req.url === '/hang') return void res.write('partial');
        res.statusCode = req.url === '/broken' ? 500 : 200;
        res.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise((resolve) => server.close(resolve)));

  const send = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; requestId: string }>((resolve, reject) => {
      request({ port, path, method: 'POST', headers }, (res) => {
        res
          .resume()
          .on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']) }));
      })
        .on('error', reject)
        .end();
    });
  const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('keeps at most LOGGED_URL_MAX characters of a URL, and says how long it was when it cut it', async () => {
    const long = `/keyed?q=${'a'.repeat(8_000)}`;
    const fits = `/keyed?q=${'b'.repeat(LOGGED_URL_MAX - '/keyed?q='.length)}`;
    await send(long);
    await send(fits);
    await settled();

    expect(lines.map((line) => line.req)).toEqual([
      {
        id: expect.any(String),
        method: 'POST',
        url: long.slice(0, LOGGED_URL_MAX),
        urlLength: long.length,
        remoteAddress: '127.0.0.1',
      },
      { id: expect.any(String), method: 'POST', url: fits, remoteAddress: '127.0.0.1' },
    ]);
  });

  it('writes one line per response with the request id, the request, the status, the time and the key name', async () => {
    const { requestId } = await send('/keyed?x=1', { 'x-request-id': 'trace-1' });
    await settled();

    expect(requestId).toBe('trace-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      req: { id: 'trace-1', method: 'POST', url: '/keyed?x=1', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      apiKey: 'payroll',
      msg: 'request completed',
    });
  });

  it('never writes a header, so neither Authorization nor Cookie reaches the log', async () => {
    await send('/', { authorization: 'Bearer acckey_secret', cookie: 'session=secret' });
    await settled();

    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('secret');
    expect(lines[0].apiKey).toBeUndefined();
  });

  it('gives the ignored path an id but no line', async () => {
    const { requestId } = await send('/health');
    await settled();

    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([]);
  });

  it('writes a 5xx at error level', async () => {
    await send('/broken');
    await settled();

    expect(lines[0]).toMatchObject({ level: 50, res: { statusCode: 500 }, msg: 'request completed' });
  });

  it('writes a warning when the client leaves before the answer is complete', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ port, path: '/hang', method: 'POST' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await settled();

    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        req: expect.objectContaining({ url: '/hang', remoteAddress: '127.0.0.1' }),
        msg: 'request aborted',
      }),
    ]);
  });
});
