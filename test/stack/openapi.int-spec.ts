import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import type { Browser } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser.ts';
import { run } from '../support/docker.ts';
import { useStack } from './stack';

const stack = useStack();

describe('OpenAPI through the proxy', () => {
  it('serves a valid OpenAPI 3 document at /openapi.json', async () => {
    const res = await fetch(`${stack().baseUrl}/openapi.json`);

    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenAPIV3.Document;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toMatchObject({
      openapi: expect.stringMatching(/^3\./),
    });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/accounts', '/accounts/{id}', '/transfers']));
  });

  describe('Swagger UI at /docs, in a headless browser', () => {
    let browser: Browser;

    let home: string;

    beforeAll(async () => {
      // Chromium on Linux trusts the CAs of the NSS database in $HOME/.pki:
      // a HOME of its own, whose database trusts the development CA and
      // nothing else is added, so HTTPS is checked as for any site.
      home = mkdtempSync(join(tmpdir(), 'chromium-home-'));
      const nssdb = `sql:${join(home, '.pki/nssdb')}`;
      mkdirSync(join(home, '.pki/nssdb'), { recursive: true });
      await run('certutil', ['-N', '-d', nssdb, '--empty-password']);
      await run('certutil', [
        '-A',
        '-d',
        nssdb,
        '-t',
        'C,,',
        '-n',
        'accounts-stack development CA',
        '-i',
        stack().caFile,
      ]);
      browser = await launchChromium({ ...process.env, HOME: home });
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(home, { recursive: true, force: true });
    });

    it.each([
      ['plain HTTP', () => stack().baseUrl],
      ['HTTPS, trusting the development CA', () => stack().tlsUrl],
    ])(
      'authorises with a key, then runs "Try it out" on GET /accounts, a protected route, and shows the seed accounts, over %s',
      async (_name, url) => {
        const key = await stack().createKey(`swagger-ui-${new URL(url()).protocol.slice(0, -1)}`, 'read');
        const page = await browser.newPage();
        const failed: string[] = [];
        const sent: (string | undefined)[] = [];
        page.on('requestfailed', (request) => failed.push(request.url()));
        page.on('console', (message) => {
          if (message.type() === 'error') failed.push(message.text());
        });
        const origins = new Set<string>();
        page.on('request', (request) => {
          if (/^https?:/.test(request.url())) origins.add(new URL(request.url()).origin);
          if (new URL(request.url()).pathname === '/accounts') sent.push(request.headers().authorization);
        });

        await page.goto(`${url()}/docs`);
        await page.locator('.auth-wrapper .authorize').click();
        const dialog = page.locator('.modal-ux');
        await dialog.locator('input').fill(key);
        await dialog.getByRole('button', { name: 'Apply credentials' }).click();
        await dialog.getByRole('button', { name: 'Close', exact: true }).click();

        const operation = page.locator('#operations-accounts-AccountsController_list');
        await operation.locator('.opblock-summary').click();
        await operation.getByRole('button', { name: 'Try it out' }).click();
        await operation.getByRole('button', { name: 'Execute' }).click();

        const body = operation.locator('.live-responses-table .response .microlight').first();
        await body.waitFor({ timeout: 15_000 });
        const shown = JSON.parse((await body.textContent()) ?? '');
        expect(shown.data.map((a: { name: string }) => a.name)).toEqual(['joe', 'bob', 'fred']);
        expect(
          await operation.locator('.live-responses-table .response .response-col_status').first().textContent(),
        ).toBe('200');
        expect(sent).toEqual([`Bearer ${key}`]);
        expect(failed).toEqual([]);
        expect([...origins]).toEqual([url()]);
      },
    );
  });
});
