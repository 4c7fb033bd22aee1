import { Agent, request as httpRequest } from 'node:http';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { DrainService } from '../src/health/drain.service';
import { TestApp } from './support/app';

/** One request over `agent`, which keeps its one connection open between requests, as nginx's upstream pool does. */
function send(
  agent: Agent,
  url: string,
  method: string,
): Promise<{ status: number; connection?: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, socket: req.socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('shutting down (e2e)', () => {
  let t: TestApp;

  beforeEach(() => {
    t = new TestApp();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    return t.dispose();
  });

  it('after SIGTERM refuses new connections but serves open ones for the drain, closing each after its answer', async () => {
    const app = await t.boot({ SHUTDOWN_DRAIN_MS: '400' });
    const res = await request(t.server).get('/health').expect(200);
    expect(res.body.info.api).toEqual({ status: 'up', version: expect.any(String) });

    // Over a real socket with keep-alive, as nginx talks to the api (supertest closes every connection).
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await send(agent, `${url}/`, 'POST');
    expect(before).toMatchObject({ status: 200, connection: 'keep-alive' });

    const said: unknown[] = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => said.push(message));
    const started = Date.now();
    const drained = app.get(DrainService).beforeApplicationShutdown('SIGTERM');
    // The same keep-alive connection as before: still served, then closed.
    const served = await send(agent, `${url}/`, 'POST');
    const fresh = send(new Agent(), `${url}/health`, 'GET');
    await expect(fresh).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await drained;
    agent.destroy();

    expect(served).toMatchObject({ status: 200, connection: 'close' });
    expect(served.socket).toBe(before.socket);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(said).toContainEqual(expect.stringMatching(/^SIGTERM: drained 1 request\(s\) in \d+ ms; closing$/));
  });

  it('answers /health 503 while draining', async () => {
    const app = await t.boot({ SHUTDOWN_DRAIN_MS: '300' });
    const drained = app.get(DrainService).beforeApplicationShutdown('SIGTERM');
    // supertest reaches the app without the closed listener.
    const health = await request(t.server).get('/health').expect(503);
    await drained;

    expect(health.body).toMatchObject({
      statusCode: 503,
      message: 'Not ready: api is down (draining before shutdown)',
    });
  });

  it('closes at once when the app is closed by code, or the drain is 0', async () => {
    const app = await t.boot({ SHUTDOWN_DRAIN_MS: '0' });
    const started = Date.now();
    await app.get(DrainService).beforeApplicationShutdown('SIGTERM');
    await app.get(DrainService).beforeApplicationShutdown(undefined);

    expect(Date.now() - started).toBeLessThan(100);
    const res = await request(t.server).get('/health').expect(200);
    expect(res.body.info.api).toEqual({ status: 'up', version: expect.any(String) });
  });
});
