import { clientFor } from '../support/http.ts';
import { ACCESS_LOG_DELAY_MS, eventually, inspect, jsonLogLines, proxyErrors, useStack } from './stack';

// One client address sends every request here; the proxy's per-client rate limit would answer most of them 429.
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

const proxyId = () => stack().compose.getContainer('proxy-1').getId();
const post = (requestId: string, headers: Record<string, string> = {}) =>
  fetch(`${stack().baseUrl}/`, { method: 'POST', headers: { 'X-Request-Id': requestId, ...headers } });

// Log lines reach `docker logs` a moment after the response, hence `eventually`.
describe('logs', () => {
  it("writes one request's id in both the proxy's and the api's JSON log line", async () => {
    const id = `corr-${Date.now()}`;
    expect((await post(id)).status).toBe(200);

    const proxyLine = await eventually(async () => (await jsonLogLines(proxyId())).find((l) => l.request_id === id));
    const apiLine = await eventually(async () =>
      (await jsonLogLines(stack().compose.getContainer('api-1').getId())).find((l) => l.req?.id === id),
    );

    expect(proxyLine).toMatchObject({ method: 'POST', uri: '/', status: 200, upstream_status: '200' });
    expect(proxyLine?.upstream_addr).toMatch(/:3000$/);
    expect(apiLine).toMatchObject({ req: { method: 'POST', url: '/' }, res: { statusCode: 200 } });
  });

  it('never writes an Authorization header to the logs', async () => {
    const id = `auth-${Date.now()}`;
    const secret = `secret-${Date.now()}`;
    await post(id, { Authorization: `Bearer ${secret}` });

    const apiId = stack().compose.getContainer('api-1').getId();
    const apiLine = await eventually(async () => (await jsonLogLines(apiId)).find((l) => l.req?.id === id));

    // The access line carries no headers at all, and nothing else holds the secret.
    expect(apiLine?.req).not.toHaveProperty('headers');
    await new Promise((resolve) => setTimeout(resolve, ACCESS_LOG_DELAY_MS));
    const everything = JSON.stringify([...(await jsonLogLines(apiId)), ...(await jsonLogLines(proxyId()))]);
    expect(everything).not.toContain(secret);
  });
});

describe('scaling', () => {
  it('spreads requests over every replica after --scale api=3, without restarting nginx', async () => {
    const proxyStartedAt = (await inspect('container', proxyId())).State.StartedAt;

    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=3']);

    // nginx re-resolves `api` every 5 s; within a bounded number of requests it must reach all three.
    const upstreams = new Set<string>();
    const statuses: number[] = [];
    const deadline = Date.now() + 30_000;
    for (let round = 0; upstreams.size < 3 && Date.now() < deadline && round < 30; round++) {
      const ids = Array.from({ length: 12 }, (_, i) => `scale-${round}-${i}`);
      for (const id of ids) statuses.push((await post(id)).status);
      const lines = await eventually(async () => {
        const mine = (await jsonLogLines(proxyId())).filter((l) => ids.includes(l.request_id));
        return mine.length === ids.length ? mine : undefined;
      });
      for (const line of lines ?? []) upstreams.add(line.upstream_addr);
      if (upstreams.size < 3) await new Promise((r) => setTimeout(r, 1_000));
    }

    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(upstreams.size).toBe(3);
    expect((await inspect('container', proxyId())).State.StartedAt).toBe(proxyStartedAt);
  });

  it('answers every idempotent request while replicas leave and join', async () => {
    // A bounded reader loop runs while the replicas go from 3 to 1 and back to 3.
    const statuses = new Map<number, number>();
    let stop = false;
    const reader = async () => {
      const deadline = Date.now() + 90_000;
      for (let i = 0; !stop && i < 5_000 && Date.now() < deadline; i++) {
        const { response } = await clientFor(stack()).GET('/accounts/{id}', { params: { path: { id: 1 } } });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const readers = Array.from({ length: 4 }, reader);

    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=1']);
    await new Promise((r) => setTimeout(r, 7_000));
    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=3']);
    await new Promise((r) => setTimeout(r, 7_000));
    stop = true;
    await Promise.all(readers);

    await new Promise((r) => setTimeout(r, ACCESS_LOG_DELAY_MS));
    const reads = (await jsonLogLines(proxyId())).filter((line) => line.uri === '/accounts/1');
    if ([...statuses.keys()].some((status) => status !== 200)) {
      // Each failed request's line names every replica nginx tried, with how each attempt ended.
      const failed = reads.filter((line) => line.status !== 200);
      console.info(`${JSON.stringify(failed, null, 1)}\n${await proxyErrors(stack(), 80)}`);
    }
    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
    // Requests that found no replica to choose and got a second pass (" : " in the line).
    const passedAgain = reads.filter((line) => String(line.upstream_addr).includes(' : ')).length;
    console.log(
      `replicas 3 -> 1 -> 3: ${answered} GET /accounts/1, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `${passedAgain} passed a second time`,
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: answered });
    expect(answered).toBeGreaterThan(100);
  }, 180_000);
});

describe('no replica to choose', () => {
  it('passes the request once more on the replicas nginx knows then, and answers the 502 page', async () => {
    await stack().composeCli(['stop', 'api']);
    try {
      // Past the resolver's 2 s: nginx has dropped the stopped replicas' addresses.
      await new Promise((r) => setTimeout(r, 3_000));
      const id = `none-${Date.now()}`;
      const answer = await fetch(`${stack().baseUrl}/accounts/1`, { headers: { 'X-Request-Id': id } });

      expect(answer.status).toBe(502);
      expect(await answer.json()).toMatchObject({ statusCode: 502, error: 'Bad Gateway', requestId: id });
      // Each pass ends on the group's name, nginx's mark for "no replica to
      // choose"; " : " separates the two passes, and there is no third.
      const line = await eventually(async () => (await jsonLogLines(proxyId())).find((l) => l.request_id === id));
      expect(line).toMatchObject({ status: 502, upstream_addr: 'api : api' });
    } finally {
      await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=3']);
    }
    // Answered again once nginx has looked the name up.
    const read = () => clientFor(stack()).GET('/accounts/{id}', { params: { path: { id: 1 } } });
    expect(await eventually(async () => ((await read()).response.status === 200 ? 200 : undefined))).toBe(200);
  }, 60_000);
});

// Last in this file: a proxy started again gets another host port, which the stack's baseUrl would not follow.
describe('stopping the proxy', () => {
  it('keeps every access line written just before the proxy is stopped', async () => {
    // The stop follows the last request well within the second that nginx may hold its line.
    const ids = Array.from({ length: 20 }, (_, i) => `stop-${Date.now()}-${i}`);
    for (const id of ids) expect((await post(id)).status).toBe(200);

    await stack().composeCli(['stop', 'proxy']);
    const stopped = (await inspect('container', proxyId())).State;
    const logged = new Set((await jsonLogLines(proxyId())).map((line) => line.request_id));

    // 0, not 137: nginx ended on its own, before the engine's SIGKILL.
    expect(stopped.ExitCode).toBe(0);
    expect(ids.filter((id) => !logged.has(id))).toEqual([]);
  });
});

// After the proxy's: stopping the api answers no request, and needs none.
describe('stopping the api', () => {
  it('drains, then writes out its last line before it exits', async () => {
    const apiId = stack().compose.getContainer('api-1').getId();

    await stack().composeCli(['stop', 'api']);
    const stopped = (await inspect('container', apiId)).State;
    const lines = await jsonLogLines(apiId);

    // 0, not 137: the api ended on its own after its drain, before the engine's SIGKILL.
    expect(stopped.ExitCode).toBe(0);
    // pino holds lines for up to half a second and writes them out as the
    // process ends: the line logged last is there.
    expect(lines.at(-1)).toMatchObject({
      context: 'DrainService',
      msg: expect.stringMatching(/^SIGTERM: drained \d+ request\(s\) in \d+ ms; closing$/),
    });
  });
});
