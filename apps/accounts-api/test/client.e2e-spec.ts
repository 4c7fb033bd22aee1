import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { describeStale, renderClientFiles, staleClientFiles } from '../../../libs/client/scripts/client-files';
import { createAccountsClient } from '../../../libs/client/src';
import { TestApp } from './support/app';

describe('the typed client, libs/client (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = new TestApp();
    await t.boot();
    await t.app!.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    delete process.env.KEY;
    await t.dispose();
  });

  // The drift check of `npm test`: a change to the api's contract fails here until the client is regenerated.
  it('was generated from the document the app serves now', async () => {
    const served = (await request(t.server).get('/openapi.json').expect(200)).body;

    const stale = await staleClientFiles(await renderClientFiles(served), join(__dirname, '../../../libs/client'));

    if (stale.length > 0) throw new Error(describeStale(stale));
  });

  it('runs the example of docs/reference/api.md', async () => {
    process.env.KEY = t.adminKey;

    // The "Typed client" lines of docs/reference/api.md, word for word but for the base URL: the api listens on a port of its own here.
    const api = createAccountsClient({ baseUrl, apiKey: process.env.KEY });
    const { data: alice } = await api.POST('/accounts', { body: { name: 'alice', openingBalance: 100 } });
    const { data: transfer, error } = await api.POST('/transfers', { body: { from: alice!.id, to: 1, amount: 5 } });
    if (error) throw new Error(`${error.statusCode} ${error.error}: ${error.message}`);

    expect(transfer).toMatchObject({ from: alice!.id, to: 1, amount: 5, createdBy: 'bootstrap' });
  });

  it('gives an error answer as the typed ErrorBody, with the response beside it', async () => {
    const api = createAccountsClient({ baseUrl, apiKey: t.adminKey });

    const { data, error, response } = await api.GET('/accounts/{id}', { params: { path: { id: 999 } } });

    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      requestId: response.headers.get('x-request-id'),
    });
  });

  it('is refused without a key, as any caller is', async () => {
    const { error, response } = await createAccountsClient({ baseUrl }).GET('/accounts');

    expect(response.status).toBe(401);
    expect(error?.statusCode).toBe(401);
  });
});
