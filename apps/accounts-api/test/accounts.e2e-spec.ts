import type { Response } from 'supertest';
import { SEED, TestApp } from './support/app';

describe('accounts api (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = new TestApp();
    await t.boot();
  });
  afterEach(() => t.dispose());

  describe("the talk's contract", () => {
    it('returns the seed accounts as JSON for POST /', async () => {
      const res = await t.api.post('/').expect(200);

      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(SEED);
    });

    it('returns 405 with Allow: POST, OPTIONS for GET /, in the error shape', async () => {
      const res = await t.api.get('/').expect(405);

      expect(res.headers.allow).toBe('POST, OPTIONS');
      expect(res.body).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: 'GET / is not allowed; use POST or OPTIONS',
        requestId: res.headers['x-request-id'],
      });
    });

    it.each(['put', 'patch', 'delete'] as const)('returns 405 for %s /', async (method) => {
      await t.api[method]('/').expect(405).expect('Allow', 'POST, OPTIONS');
    });

    it('answers OPTIONS / with 204 and Allow', async () => {
      await t.api.options('/').expect(204).expect('Allow', 'POST, OPTIONS');
    });

    it('leaves closed accounts out', async () => {
      await t.api.post('/transfers').send({ from: 1, to: 3, amount: 10 }).expect(201);
      await t.api.delete('/accounts/1').expect(204);

      const res = await t.api.post('/').expect(200);
      expect(res.body.map((a: { id: number }) => a.id)).toEqual([2, 3]);
    });
  });

  describe('/accounts', () => {
    it('pages through every account with a next link until it is null', async () => {
      for (const name of ['a', 'b', 'c']) await t.api.post('/accounts').send({ name }).expect(201);
      const seen: number[] = [];
      let next: string | null = '/accounts?limit=2';
      let pages = 0;
      while (next && pages++ < 10) {
        const res: Response = await t.api.get(next).expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.data.map((a: { id: number }) => a.id));
        next = res.body.next;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
      expect(pages).toBe(3);
    });

    it('gives Location and next as paths, so that over HTTPS (X-Forwarded-Proto from the proxy) they stay on HTTPS', async () => {
      // A client resolves a path against the URL it called: an absolute link
      // built here would need the api to trust Host, and would say http://
      // whenever the scheme was lost on the way.
      const overTls = { 'X-Forwarded-Proto': 'https', Host: 'localhost:5443' };
      const created = await t.api.post('/accounts').set(overTls).send({ name: 'tess' }).expect(201);
      const page = await t.api.get('/accounts?limit=1').set(overTls).expect(200);

      expect(created.headers.location).toBe('/accounts/4');
      expect(page.body.next).toMatch(/^\/accounts\?limit=1&cursor=/);
      expect(new URL(created.headers.location, 'https://localhost:5443/accounts').href).toBe(
        'https://localhost:5443/accounts/4',
      );
    });

    it.each([
      ['limit=0', 'limit must not be less than 1'],
      ['limit=101', 'limit must not be greater than 100'],
      ['limit=ten', 'limit must be an integer number'],
      ['cursor=bm9wZQ', 'cursor is not one this api issued'],
      ['sort=name', 'property sort should not exist'],
    ])('refuses ?%s with 400', async (query, message) => {
      const res = await t.api.get(`/accounts?${query}`).expect(400);
      expect(res.body.message).toContain(message);
    });

    it('creates an account with 201, Location and ETag', async () => {
      const res = await t.api.post('/accounts').send({ name: 'amy', openingBalance: 25 }).expect(201);

      expect(res.headers.location).toBe('/accounts/4');
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toMatchObject({
        id: 4,
        name: 'amy',
        balance: 25,
        openingBalance: 25,
        overdraftLimit: 0,
        status: 'open',
      });
      await t.api.get('/accounts/4').expect(200, res.body);
    });

    it.each([
      [{}, 'name must be a string'],
      [{ name: '' }, 'name should not be empty'],
      [{ name: 'x'.repeat(101) }, 'name must be shorter than or equal to 100 characters'],
      [{ name: 'a', openingBalance: 1.5 }, 'openingBalance must be an integer number'],
      [{ name: 'a', openingBalance: -1 }, 'openingBalance must not be less than 0'],
      [{ name: 'a', openingBalance: '10' }, 'openingBalance must be an integer number'],
      [{ name: 'a', balance: 10 }, 'property balance should not exist'],
    ])('refuses %j with 400 saying what to fix', async (body, message) => {
      const res = await t.api.post('/accounts').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toContain(message);
    });

    it('answers 404 for an unknown id and 400 for an id that is not a positive integer', async () => {
      expect((await t.api.get('/accounts/99').expect(404)).body.message).toBe('Account 99 does not exist');
      for (const id of ['abc', '0', '-1', '1.5', '99999999999999999']) {
        await t.api.get(`/accounts/${id}`).expect(400);
      }
    });

    it('renames with If-Match and answers 412 for a stale ETag', async () => {
      const { headers } = await t.api.get('/accounts/1').expect(200);

      const renamed = await t.api
        .patch('/accounts/1')
        .set('If-Match', headers.etag)
        .send({ name: 'joseph' })
        .expect(200);
      expect(renamed.body).toMatchObject({ name: 'joseph', version: 2 });
      expect(renamed.headers.etag).toBe('"2"');

      const stale = await t.api.patch('/accounts/1').set('If-Match', headers.etag).send({ name: 'jo' }).expect(412);
      expect(stale.body.message).toContain('does not match the current ETag "2"');
      await t.api.delete('/accounts/1').set('If-Match', headers.etag).expect(412);
      expect((await t.api.get('/accounts/1')).body.name).toBe('joseph');
    });

    it('answers 304 with the ETag and no body while If-None-Match names the current version, and 200 once it moved', async () => {
      const { headers } = await t.api.get('/accounts/1').expect(200);

      const unchanged = await t.api.get('/accounts/1').set('If-None-Match', headers.etag).expect(304);
      expect(unchanged.headers.etag).toBe(headers.etag);
      expect(unchanged.text).toBe('');
      await t.api.patch('/accounts/1').send({ name: 'joseph' }).expect(200);

      const moved = await t.api.get('/accounts/1').set('If-None-Match', headers.etag).expect(200);
      expect(moved.body).toMatchObject({ name: 'joseph', version: 2 });
      expect(moved.headers.etag).toBe('"2"');
    });

    it('closes only at a zero balance (409 otherwise) and keeps the history', async () => {
      const refused = await t.api.delete('/accounts/3').expect(409);
      expect(refused.body.message).toBe(
        'Account 3 has a balance of 40; transfer it to zero before closing the account',
      );

      await t.api.post('/transfers').send({ from: 3, to: 1, amount: 40 }).expect(201);
      await t.api.delete('/accounts/3').expect(204);
      await t.api.delete('/accounts/3').expect(204);

      const closed = await t.api.get('/accounts/3').expect(200);
      expect(closed.body).toMatchObject({ status: 'closed', balance: 0 });
      expect(closed.body.closedAt).toEqual(expect.any(String));
      // The seed's issuance of its 40, then the transfer that emptied it.
      expect((await t.api.get('/accounts/3/transactions')).body.data.map((e: { amount: number }) => e.amount)).toEqual([
        40, -40,
      ]);
      await t.api.patch('/accounts/3').send({ name: 'x' }).expect(409);
    });

    it('answers 405 with Allow for methods a route does not take', async () => {
      await t.api.put('/accounts').expect(405).expect('Allow', 'GET, POST');
      await t.api.put('/accounts/1').expect(405).expect('Allow', 'GET, PATCH, DELETE');
    });
  });

  describe('bad requests', () => {
    it('answers malformed JSON with 400 in the error shape', async () => {
      const res = await t.api.post('/accounts').set('Content-Type', 'application/json').send('{"name":').expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it.each([
      [
        'nesting deeper than 32 levels',
        '{"name":' + '['.repeat(3000) + ']'.repeat(3000) + '}',
        'nests deeper than 32 levels',
      ],
      ['a __proto__ key', '{"name":"amy","__proto__":{"admin":true}}', 'property __proto__ should not exist'],
      [
        'invalid UTF-8',
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
        'not valid UTF-8',
      ],
      [
        'an overlong UTF-8 encoding',
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
        'not valid UTF-8',
      ],
    ])('refuses a body with %s with 400 and stores nothing', async (_case, body, message) => {
      const res = await t.api
        .post('/accounts')
        .set('Content-Type', 'application/json')
        // superagent's serializers are typed to return strings, but it writes a Buffer as it is.
        .serialize((raw: string | Buffer) => raw as string)
        .send(body)
        .expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, message: expect.stringContaining(message) });
      expect((await t.api.get('/accounts')).body.data).toHaveLength(3);
    });

    it.each([
      ['a NUL', '{"name":"al\\u0000ice"}', 'no control characters'],
      ['a right-to-left override', '{"name":"invoice\\u202egpj.exe"}', 'no bidirectional'],
      ['a lone surrogate', '{"name":"al\\ud800ice"}', 'no lone surrogates'],
    ])('refuses a name with %s with 400 naming the rule, on create and rename', async (_case, body, rule) => {
      for (const request of [t.api.post('/accounts'), t.api.patch('/accounts/1')]) {
        const res = await request.set('Content-Type', 'application/json').send(body).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, message: expect.stringContaining(rule) });
      }
      expect((await t.api.get('/accounts')).body.data.map((a: { name: string }) => a.name)).toEqual(
        SEED.map((a) => a.name),
      );
    });

    it.each(['1e3', '0x1', '01', '1.0', ' 1'])(
      'refuses the id %j with 400 rather than reading it as a number',
      async (id) => {
        await t.api.get(`/accounts/${encodeURIComponent(id)}`).expect(400);
        await t.api.get(`/accounts/${encodeURIComponent(id)}/transactions`).expect(400);
      },
    );

    it('answers a non-JSON body with 415', async () => {
      const res = await t.api.post('/accounts').set('Content-Type', 'text/plain').send('name=amy').expect(415);
      expect(res.body.message).toContain('send Content-Type: application/json');
    });

    it('answers a body over 16 KiB with 413 in the error shape, before the proxy limit', async () => {
      const res = await t.api
        .post('/accounts')
        .send({ name: 'x'.repeat(17 * 1024) })
        .expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it('answers an unknown path with 404 in the error shape', async () => {
      const res = await t.api.get('/nope').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' });
    });

    it('keeps a valid X-Request-Id from the caller', async () => {
      await t.api.post('/').set('X-Request-Id', 'abc-123').expect('X-Request-Id', 'abc-123');
    });
  });
});
