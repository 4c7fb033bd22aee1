import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { chromium, type Browser } from 'playwright-core';
import { useStack } from './support/stack';

const stack = useStack();

/** Debian's chromium package; Playwright's own browser download is not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('OpenAPI through the proxy', () => {
  it('serves a valid OpenAPI 3 document at /openapi.json', async () => {
    const res = await fetch(`${stack().baseUrl}/openapi.json`);

    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenAPIV3.Document;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/accounts', '/accounts/{id}', '/transfers']));
  });

  describe('Swagger UI at /docs, in a headless browser', () => {
    let browser: Browser;

    beforeAll(async () => {
      // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('runs "Try it out" on GET /accounts and shows the seed accounts', async () => {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on('requestfailed', (request) => failed.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') failed.push(message.text());
      });

      await page.goto(`${stack().baseUrl}/docs`);
      const operation = page.locator('#operations-accounts-AccountsController_list');
      await operation.locator('.opblock-summary').click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.getByRole('button', { name: 'Execute' }).click();

      const body = operation.locator('.live-responses-table .response .microlight').first();
      await body.waitFor({ timeout: 15_000 });
      const shown = JSON.parse((await body.textContent()) ?? '');
      expect(shown.data.map((a: { name: string }) => a.name)).toEqual(['joe', 'bob', 'fred']);
      expect(await operation.locator('.live-responses-table .response .response-col_status').first().textContent()).toBe(
        '200',
      );
      expect(failed).toEqual([]);
    });
  });
});
