import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { Store } from '../src/store/store';
import { SEED, TestApp } from './support/app';

describe('the store (e2e)', () => {
  let t: TestApp;

  beforeEach(() => {
    t = new TestApp();
  });
  afterEach(() => t.dispose());

  it('keeps its data across restarts and ignores a changed seed file', async () => {
    await t.boot();
    await t.api.post('/transfers').send({ from: 3, to: 1, amount: 5 }).expect(201);
    await t.close();

    t.writeSeed([{ id: 1, name: 'someone else', balance: 1 }]);
    await t.boot();

    const res = await t.api.post('/').expect(200);
    expect(res.body).toEqual([
      { id: 1, name: 'joe', balance: 15 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 35 },
    ]);
  });

  it('keeps serving the live data when the seed file later becomes invalid', async () => {
    await t.boot();
    await t.close();
    t.writeSeed('{not json');

    await t.boot();
    await t.api.post('/').expect(200, SEED);
  });

  it('refuses to start on a bad seed file when the store is empty, naming the file and the record, and writes nothing', async () => {
    t.writeSeed([
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: 'lots' },
    ]);

    await expect(t.boot()).rejects.toThrow(
      `Seed file ${t.seedFile}: record 2 (id 2): balance must be an integer number`,
    );

    t.writeSeed(SEED);
    await t.boot();
    await t.api.post('/').expect(200, SEED);
  });

  it('reports the store in /health', async () => {
    await t.boot();
    const res = await t.api.get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { store: { status: 'up', accounts: 3 } } });
  });

  it('answers 503 with Retry-After, and reports the store down in /health, when the store is unavailable', async () => {
    const app = await t.boot();
    await app.get(Store).close();

    const res = await t.api.get('/accounts/1').expect(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringMatching(/store/),
    });
    await t.api.post('/transfers').send({ from: 3, to: 1, amount: 1 }).expect(503);
    const health = await t.api.get('/health').expect(503);
    expect(health.body).toMatchObject({
      statusCode: 503,
      message: 'Not ready: store is down (The accounts store is closed; retry shortly)',
    });
  });

  it('refuses to start without STORE_URL, naming the variable', async () => {
    process.env.SEED_FILE = t.seedFile;
    delete process.env.STORE_URL;

    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
      /Invalid environment: STORE_URL=null/,
    );
  });
});
