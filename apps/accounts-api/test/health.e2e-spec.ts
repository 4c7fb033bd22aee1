import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { TestApp } from './support/app';

/** Read here, not through the api's own reader, so that a reader that found the wrong file fails this spec. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string }
).version;

describe('health (e2e)', () => {
  let t: TestApp;

  beforeEach(() => {
    t = new TestApp();
  });
  afterEach(() => t.dispose());

  it("reports package.json's version in the api indicator of GET /health, to anyone", async () => {
    await t.boot();

    const res = await request(t.server).get('/health').expect(200);

    expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(res.body).toMatchObject({ status: 'ok', info: { api: { status: 'up', version: PACKAGE_VERSION } } });
  });

  it('puts the version in no response header', async () => {
    await t.boot();

    const res = await request(t.server).post('/').expect(200);

    expect(Object.values(res.headers)).not.toContain(PACKAGE_VERSION);
  });
});
