import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import request from 'supertest';
import { TestApp } from './support/app';
import { appRoutes } from './support/routes';

describe('OpenAPI (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = new TestApp();
    await t.boot();
  });
  afterAll(() => t.dispose());

  it('serves a valid OpenAPI 3 document at /openapi.json', async () => {
    const res = await request(t.server).get('/openapi.json').expect(200);

    expect(res.body.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeDefined();
  });

  it('documents every route of the app, and nothing else', async () => {
    const doc = (await request(t.server).get('/openapi.json')).body as OpenAPIV3.Document;
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = appRoutes(t)
      .filter(({ method, path }) => method !== 'ALL' && !/^\/(docs|openapi)/.test(path))
      .map(({ method, path }) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`);

    expect(served.length).toBeGreaterThanOrEqual(9);
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });

  it('serves Swagger UI at /docs from its own assets', async () => {
    const page = await request(t.server).get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
    await request(t.server).get('/docs/swagger-ui-bundle.js').expect(200);
  });
});
