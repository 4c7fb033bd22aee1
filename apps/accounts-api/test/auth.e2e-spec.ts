import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { AccessMetadata, type AccessLevel } from '../src/auth/access.decorator';
import { generateKey } from '../src/auth/api-key';
import { KEY_CACHE_MS } from '../src/auth/api-keys.service';
import { grants, SCOPES } from '../src/auth/scope';
import type { ErrorBody } from '../src/common/http/api-errors.decorator';
import { Store } from '../src/store/store';
import { TestApp } from './support/app';
import { appRoutes, type AppRoute } from './support/routes';

const UNAUTHENTICATED = 'A valid API key is required: send it as "Authorization: Bearer <key>"';

/** The talk's contract, the health check and the API's own documents: open to anyone. */
const OPEN_ROUTES = ['POST /', 'OPTIONS /', 'ALL /', 'GET /health'];

/**
 * The access rule, written here independently of the decorators: open
 * routes are open, key management, issuing money, the ledger check and the audit trail need admin, other reads (and 405s) need
 * read, other writes need write.
 */
function ruleFor({ method, path }: AppRoute): AccessLevel {
  if (OPEN_ROUTES.includes(`${method} ${path}`) || /^\/(docs|openapi)/.test(path)) return 'public';
  if (/^\/(keys|audit|ledger)/.test(path) || `${method} ${path}` === 'POST /issuances') return 'admin';
  return method === 'GET' || method === 'ALL' ? 'read' : 'write';
}

/** A request for a route, with its path parameters filled in; catch-alls get a method no route takes. */
function call(t: TestApp, { method, path }: AppRoute, key?: string) {
  const url = path.replace(':id', '1').replace(':name', 'nobody');
  const verb = (method === 'ALL' ? 'put' : method.toLowerCase()) as 'get';
  const req = request(t.server)[verb](url);
  return key === undefined ? req : req.set('Authorization', `Bearer ${key}`);
}

function expectUnauthenticated(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer realm="accounts"');
  expect(res.body).toEqual({
    statusCode: 401,
    error: 'Unauthorized',
    message: UNAUTHENTICATED,
    requestId: res.headers['x-request-id'],
  });
}

/** Sends `head` (request line and headers, each ending in CRLF) as raw bytes, and reads the whole answer. */
async function rawRequest(t: TestApp, head: string): Promise<{ head: string; body: ErrorBody }> {
  const server = t.server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.end(`${head}Connection: close\r\n\r\n`);
    const answer = (await socket.toArray()).join('');
    const split = answer.indexOf('\r\n\r\n');
    return { head: answer.slice(0, split), body: JSON.parse(answer.slice(split + 4)) as ErrorBody };
  } finally {
    server.close();
  }
}

describe('access control (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = new TestApp();
    await t.boot();
  });
  afterEach(() => t.dispose());

  describe("every route of the app's route list", () => {
    it('has an access decision on its handler or controller', () => {
      const reflector = t.app!.get(Reflector);
      const undecided: string[] = [];
      for (const module of t.app!.get(ModulesContainer).values()) {
        for (const { metatype } of module.controllers.values()) {
          const controller = metatype as new () => object;
          for (const name of Object.getOwnPropertyNames(controller.prototype)) {
            const handler = (controller.prototype as Record<string, unknown>)[name];
            if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
            if (reflector.getAllAndOverride(AccessMetadata, [handler, controller]) === undefined) {
              undecided.push(`${controller.name}.${name}`);
            }
          }
        }
      }
      expect(undecided).toEqual([]);
    });

    it('answers without a key as the rule says: open routes open, every other one 401', async () => {
      const routes = appRoutes(t);
      expect(routes.length).toBeGreaterThanOrEqual(15);
      for (const route of routes) {
        const res = await call(t, route);
        if (ruleFor(route) === 'public') {
          expect([`${route.method} ${route.path}`, res.status]).not.toEqual([`${route.method} ${route.path}`, 401]);
        } else {
          expectUnauthenticated(res);
        }
      }
    });

    it.each(SCOPES)(
      'lets a %s key through exactly where its scope covers the rule, and answers 403 naming the scope elsewhere',
      async (scope) => {
        const key = await t.key(scope);
        for (const route of appRoutes(t)) {
          const needed = ruleFor(route);
          const res = await call(t, route, key);
          const seen = `${route.method} ${route.path} with ${scope}: ${res.status}`;
          if (needed === 'public' || grants(scope, needed)) {
            expect(seen).not.toMatch(/: 40[13]$/);
          } else {
            expect(seen).toMatch(/: 403$/);
            expect(res.body.message).toMatch(
              new RegExp(`^This route needs a key with scope ${needed}; key "[^"]+" has scope ${scope}$`),
            );
            expect(res.headers['www-authenticate']).toBe(
              `Bearer realm="accounts", error="insufficient_scope", scope="${needed}"`,
            );
          }
        }
      },
    );
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['another scheme', () => `Basic ${Buffer.from('joe:secret').toString('base64')}`],
    ['Bearer and nothing', 'Bearer '],
    ['a malformed key', 'Bearer acckey_123'],
    ['a well-formed key that was never made', () => `Bearer ${generateKey()}`],
    ['the right lookup id with a wrong secret', (admin: string) => `Bearer ${admin.slice(0, -4)}0000`],
    ['an oversized header', () => `Bearer ${'a'.repeat(4096)}`],
    ['two keys in one header', (admin: string) => `Bearer ${admin} ${admin}`],
  ])('answers 401 in one shape, saying nothing of what was wrong: %s', async (_case, header) => {
    const value = typeof header === 'function' ? header(t.adminKey) : header;
    const req = request(t.server).get('/accounts/1');
    expectUnauthenticated(await (value === undefined ? req : req.set('Authorization', value)));
  });

  it('refuses a request that carries two Authorization headers, even when the first is valid', async () => {
    // HTTP clients send one header per name; a raw request sends both.
    const answer = await rawRequest(
      t,
      `GET /accounts/1 HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${t.adminKey}\r\nAuthorization: Bearer x\r\n`,
    );
    expect(answer.head).toMatch(/^HTTP\/1.1 401 /);
    expect(answer.body.message).toBe(UNAUTHENTICATED);
  });

  it("answers a header Node's parser refuses (a control character) in the error shape, with the proxy's request id", async () => {
    const answer = await rawRequest(
      t,
      'GET /accounts/1 HTTP/1.1\r\nHost: test\r\nX-Request-Id: proxy-7\r\nAuthorization: Bearer a\x01b\r\n',
    );
    expect(answer.head).toMatch(/^HTTP\/1.1 400 /);
    expect(answer.head).toMatch(/\r\nx-request-id: proxy-7\r\n/i);
    expect(answer.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^The request is not valid HTTP/),
      requestId: 'proxy-7',
    });
  });

  it('refuses a request without a valid key before it reads the body: 401, whatever the body holds', async () => {
    const bodies = ['{"name": "amy"', '{"a":'.repeat(40), '{"__proto__": {}}', 'x'.repeat(20_000)];
    for (const body of bodies) {
      expectUnauthenticated(
        await request(t.server).post('/accounts').set('Content-Type', 'application/json').send(body),
      );
    }
    const reader = await t.key('write', 'parser');
    const keyed = await request(t.server)
      .post('/accounts')
      .set('Authorization', `Bearer ${reader}`)
      .set('Content-Type', 'application/json')
      .send(bodies[0])
      .expect(400);
    expect(keyed.body.message).toMatch(/JSON/);
  });

  it('answers 408 in the error shape, with the request id, to a body that does not arrive within requestTimeout', async () => {
    const server = t.server;
    server.requestTimeout = 500;
    server.headersTimeout = 500;
    Object.assign(server, { connectionsCheckingInterval: 100 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.write(
        `POST /transfers HTTP/1.1\r\nHost: test\r\nX-Request-Id: proxy-8\r\nAuthorization: Bearer ${t.adminKey}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      );
      const answer = (await socket.toArray()).join('');
      const split = answer.indexOf('\r\n\r\n');

      expect(answer.slice(0, split)).toMatch(/^HTTP\/1.1 408 /);
      expect(JSON.parse(answer.slice(split + 4))).toEqual({
        statusCode: 408,
        error: 'Request Timeout',
        message: 'The request was not received in full in time',
        requestId: 'proxy-8',
      });
    } finally {
      server.close();
    }
  });

  it('takes the scheme in any case and a key between spaces', async () => {
    await request(t.server).get('/accounts/1').set('Authorization', `bearer  ${t.adminKey} `).expect(200);
  });

  it('keeps the talk open: POST / and OPTIONS / need no key, and GET / is still 405 with Allow', async () => {
    await request(t.server).post('/').expect(200);
    await request(t.server).options('/').expect(204);
    await request(t.server).get('/').expect(405).expect('Allow', 'POST, OPTIONS');
    await request(t.server).get('/health').expect(200);
    await request(t.server).get('/openapi.json').expect(200);
  });

  describe('keys over HTTP, for admin keys', () => {
    it('makes a key shown once, lists keys without keys or hashes, and revokes on every route at once', async () => {
      const made = await t.api.post('/keys').send({ name: 'payroll', scope: 'write' }).expect(201);
      expect(made.headers.location).toBe('/keys/payroll');
      expect(made.body).toMatchObject({ name: 'payroll', scope: 'write', key: expect.stringMatching(/^acckey_/) });
      const payroll = made.body.key as string;
      await request(t.server).get('/accounts/1').set('Authorization', `Bearer ${payroll}`).expect(200);

      const listed = await t.api.get('/keys').expect(200);
      expect(listed.body.map((k: { name: string }) => k.name)).toEqual(['bootstrap', 'payroll']);
      expect(JSON.stringify(listed.body)).not.toMatch(/acckey_|[0-9a-f]{64}/);

      const revoked = await t.api.delete('/keys/payroll').expect(200);
      expect(revoked.body).toMatchObject({ name: 'payroll', revokedAt: expect.stringMatching(/Z$/) });
      await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_MS + 50));
      expectUnauthenticated(await request(t.server).get('/accounts/1').set('Authorization', `Bearer ${payroll}`));
    });

    it('refuses a taken name, an unknown scope, a bad name, an unknown key and the last admin key, each saying what to fix', async () => {
      await t.api.post('/keys').send({ name: 'ci', scope: 'read' }).expect(201);
      const taken = await t.api.post('/keys').send({ name: 'ci', scope: 'read' }).expect(409);
      expect(taken.body.message).toBe(
        'A key named "ci" already exists (names of revoked keys stay taken); choose another name',
      );
      const scope = await t.api.post('/keys').send({ name: 'x', scope: 'root' }).expect(400);
      expect(scope.body.message).toBe('scope must be one of read, write, admin');
      const name = await t.api.post('/keys').send({ name: '../x', scope: 'read' }).expect(400);
      expect(name.body.message).toMatch(/^name must be letters, digits/);
      const unknown = await t.api.delete('/keys/nobody').expect(404);
      expect(unknown.body.message).toBe('No key is named "nobody"; list the keys to see their names');
      const last = await t.api.delete('/keys/bootstrap').expect(409);
      expect(last.body.message).toBe(
        'Key "bootstrap" is the last admin key that is not revoked; make another admin key first, then revoke this one',
      );
    });
  });

  it('lets a write key open empty accounts only: money and credit are issued, by admin keys', async () => {
    const writer = await t.key('write', 'batch');
    const open = (body: object, key = writer) =>
      request(t.server).post('/accounts').set('Authorization', `Bearer ${key}`).send(body);

    for (const body of [
      { name: 'rich', openingBalance: 1_000_000 },
      { name: 'credit', overdraftLimit: 50 },
    ]) {
      const refused = await open(body).expect(403);
      expect(refused.body).toMatchObject({
        error: 'Forbidden',
        message:
          'Opening an account with an openingBalance or an overdraftLimit needs a key with scope admin; key "batch" has scope write',
      });
    }
    await open({ name: 'empty', openingBalance: 0, overdraftLimit: 0 }).expect(201);
    await open({ name: 'rich', openingBalance: 100, overdraftLimit: 5 }, t.adminKey).expect(201);
    const names = (await t.api.get('/accounts').expect(200)).body.data.map((a: { name: string }) => a.name);
    expect(names).toEqual(['joe', 'bob', 'fred', 'empty', 'rich']);
  });

  it("records the key's name on the transfer, both ledger entries and the account it changed", async () => {
    const payroll = await t.key('write', 'payroll');
    const as = (req: request.Test) => req.set('Authorization', `Bearer ${payroll}`);

    const transfer = await as(request(t.server).post('/transfers')).send({ from: 3, to: 2, amount: 5 }).expect(201);
    expect(transfer.body.createdBy).toBe('payroll');
    const ledger = await as(request(t.server).get('/accounts/2/transactions')).expect(200);
    expect(ledger.body.data).toEqual([
      expect.objectContaining({ createdBy: 'seed' }),
      expect.objectContaining({ transferId: transfer.body.id, createdBy: 'payroll' }),
    ]);
    const opened = await as(request(t.server).post('/accounts')).send({ name: 'amy' }).expect(201);
    expect(opened.body).toMatchObject({ createdBy: 'payroll', updatedBy: null });
    const renamed = await t.api.patch(`/accounts/${opened.body.id}`).send({ name: 'amelia' }).expect(200);
    expect(renamed.body).toMatchObject({ createdBy: 'payroll', updatedBy: 'bootstrap' });
  });

  it('answers 503 with Retry-After, not 401, when the store cannot be read to check a key', async () => {
    const fresh = await t.key('read');
    await t.app!.get(Store).close();

    const res = await request(t.server).get('/accounts/1').set('Authorization', `Bearer ${fresh}`).expect(503);
    expect(res.headers['retry-after']).toBe('1');
  });

  describe('the bootstrap key', () => {
    it('is stored hashed on the first start, and the store holds no key in plain text', async () => {
      await t.api.get('/accounts/1').expect(200);
      await t.close();
      await t.boot();
      await t.api.get('/accounts/1').expect(200);

      expect(readFileSync(t.storeFile).includes(t.adminKey)).toBe(false);
      expect(readFileSync(t.storeFile).includes(t.adminKey.slice(-64))).toBe(false);
    });

    it('refuses to start on a file that holds no key of this api, without showing the file', async () => {
      await t.close();
      writeFileSync(t.adminKeyFile, 'hunter2\n');

      const boot = t.boot();
      await expect(boot).rejects.toThrow(`BOOTSTRAP_ADMIN_KEY_FILE=${t.adminKeyFile} does not hold a key of this api`);
      await expect(boot).rejects.not.toThrow(/hunter2/);
    });

    it('is not required: an empty file starts the app with no key', async () => {
      await t.close();
      writeFileSync(t.adminKeyFile, '');
      const empty = new TestApp();
      try {
        writeFileSync(empty.adminKeyFile, '');
        await empty.boot();
        await request(empty.server).post('/').expect(200);
        expect(await empty.api.get('/keys').then((res) => res.status)).toBe(401);
      } finally {
        await empty.dispose();
      }
    });
  });

  it('documents the bearer scheme, and each protected operation names its scope', async () => {
    const doc = (await request(t.server).get('/openapi.json').expect(200)).body;
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/transfers'].post).toMatchObject({ security: [{ 'api-key': [] }], 'x-required-scope': 'write' });
    expect(doc.paths['/keys'].get['x-required-scope']).toBe('admin');
    expect(doc.paths['/'].post.security).toBeUndefined();
  });
});
