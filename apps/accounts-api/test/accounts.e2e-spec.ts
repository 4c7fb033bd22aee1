import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module';

const SEED = [
  { id: 1, name: 'joe', balance: 10 },
  { id: 2, name: 'bob', balance: -1 },
  { id: 3, name: 'fred', balance: 40 },
];

describe('accounts api (e2e)', () => {
  let dir: string;
  let app: INestApplication | undefined;

  const boot = async (seed: unknown) => {
    const file = join(dir, 'accounts.json');
    writeFileSync(file, typeof seed === 'string' ? seed : JSON.stringify(seed));
    process.env.SEED_FILE = file;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const created = moduleRef.createNestApplication();
    app = created;
    await created.init();
    return created;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-e2e-'));
    process.env.LOG_LEVEL = 'silent';
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
    delete process.env.SEED_FILE;
  });

  describe('with the talk seed', () => {
    let server: ReturnType<INestApplication['getHttpServer']>;

    beforeEach(async () => {
      server = (await boot(SEED)).getHttpServer();
    });

    it('returns the three accounts as JSON for POST /', async () => {
      const res = await request(server).post('/').expect(200);

      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(SEED);
    });

    it('returns 405 with Allow: POST, OPTIONS for GET /', async () => {
      const res = await request(server).get('/').expect(405);

      expect(res.headers.allow).toBe('POST, OPTIONS');
      expect(res.body).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: 'GET / is not allowed; use POST or OPTIONS',
        requestId: res.headers['x-request-id'],
      });
    });

    it.each(['put', 'patch', 'delete'] as const)('returns 405 for %s /', async (method) => {
      await request(server)[method]('/').expect(405).expect('Allow', 'POST, OPTIONS');
    });

    it('answers OPTIONS / with 204 and Allow', async () => {
      await request(server).options('/').expect(204).expect('Allow', 'POST, OPTIONS');
    });

    it('keeps a valid X-Request-Id from the caller', async () => {
      await request(server).post('/').set('X-Request-Id', 'abc-123').expect('X-Request-Id', 'abc-123');
    });

    it('answers an unknown path with 404 in the error shape', async () => {
      const res = await request(server).get('/nope').expect(404);

      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nope' });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('answers malformed JSON with 400 in the error shape', async () => {
      const res = await request(server)
        .post('/')
        .set('Content-Type', 'application/json')
        .send('{"broken":')
        .expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-request-id']).toBe(res.body.requestId);
    });

    it('reports healthy on GET /health', async () => {
      const res = await request(server).get('/health').expect(200);

      expect(res.body).toMatchObject({ status: 'ok', info: { accounts: { status: 'up', accounts: 3 } } });
    });
  });

  it('refuses to start on a malformed seed file, naming the file and the record', async () => {
    const file = join(dir, 'accounts.json');

    await expect(boot([{ id: 1, name: 'joe', balance: 10 }, { id: 2, name: 'bob', balance: 'lots' }])).rejects.toThrow(
      `Seed file ${file}: record 2 (id 2): balance must be an integer number`,
    );
  });

  it('refuses to start without SEED_FILE, naming the variable', async () => {
    delete process.env.SEED_FILE;

    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
      /Invalid environment: SEED_FILE=null/,
    );
  });
});
