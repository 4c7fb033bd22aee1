import { clientFor } from '../support/http.ts';
import { eventually, jsonLogLines, useStack } from './stack';

// One client address sends every request here; the proxy's per-client rate limit would answer most of them 429.
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

const REPLICAS = 3;
// nginx takes the replicas in turn: a dozen requests reach each of them several times.
const READS = 12;
const ROUNDS = 5;

/**
 * Every replica keeps POST / and GET /accounts/:id answers in memory, keyed by
 * the store's accounts version. Each round fills every replica's memory, writes
 * through one of them, then reads through all of them at once: none may answer
 * with what it kept from before the write.
 */
describe(`answers kept in memory on ${REPLICAS} replicas`, () => {
  /** The replicas nginx sent the requests whose ids start with `label` to, from its access log. */
  const upstreamsOf = (label: string, requests = 2 * READS) =>
    eventually(async () => {
      const proxy = stack().compose.getContainer('proxy-1').getId();
      const lines = (await jsonLogLines(proxy)).filter((l) => String(l.request_id).startsWith(`${label}-`));
      return lines.length === requests ? new Set(lines.map((l) => l.upstream_addr)) : undefined;
    });

  beforeAll(async () => {
    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', `api=${REPLICAS}`]);
    // nginx finds the new replicas at its next look-up of `api` (every 2 s):
    // until then the first round's reads could all reach one of them.
    let attempt = 0;
    const spread = await eventually(
      async () => {
        const label = `spread-${attempt++}`;
        for (let i = 0; i < READS; i++) {
          await clientFor(stack()).POST('/', { headers: { 'X-Request-Id': `${label}-${i}` } });
        }
        return (await upstreamsOf(label, READS))?.size === REPLICAS ? true : undefined;
      },
      30_000,
      500,
    );
    if (!spread) throw new Error(`nginx did not spread ${READS} reads over ${REPLICAS} replicas within 30 s`);
  }, 120_000);

  const readAll = async (label: string, etag: string) => {
    const answers = [];
    for (let i = 0; i < READS; i++) {
      const list = await clientFor(stack()).POST('/', { headers: { 'X-Request-Id': `${label}-list-${i}` } });
      const one = await clientFor(stack()).GET('/accounts/{id}', {
        params: { path: { id: 1 }, header: { 'If-None-Match': etag } },
        headers: { 'X-Request-Id': `${label}-one-${i}` },
      });
      answers.push({ list, one });
    }
    return answers;
  };

  it('answer every read after a write with the write, whichever replica made it', async () => {
    const account1 = { params: { path: { id: 1 } } };
    let etag = (await clientFor(stack()).GET('/accounts/{id}', account1)).response.headers.get('etag')!;
    for (let round = 0; round < ROUNDS; round++) {
      for (const { one } of await readAll(`cache-${round}-before`, etag)) expect(one.response.status).toBe(304);

      const name = `renamed-${round}`;
      const renamed = await clientFor(stack()).PATCH('/accounts/{id}', { ...account1, body: { name } });
      expect(renamed.response.status).toBe(200);
      const opened = await clientFor(stack()).POST('/accounts', { body: { name: `opened-${round}` } });
      expect(opened.response.status).toBe(201);

      const label = `cache-${round}-after`;
      for (const { list, one } of await readAll(label, etag)) {
        expect(list.response.status).toBe(200);
        expect(list.data?.[0]).toMatchObject({ id: 1, name });
        expect(list.data?.map((a) => a.id)).toContain(opened.data?.id);
        expect(one.response.status).toBe(200);
        expect(one.data).toMatchObject({ id: 1, name, version: renamed.data?.version });
        expect(one.response.headers.get('etag')).toBe(renamed.response.headers.get('etag'));
      }
      // Not a vacuous pass: the reads after the write reached every replica.
      expect((await upstreamsOf(label))?.size).toBe(REPLICAS);
      etag = renamed.response.headers.get('etag')!;
    }
  }, 120_000);
});
