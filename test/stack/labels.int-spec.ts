import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../support/http.ts';
import { docker, REPO_ROOT, useStack } from './stack';

const stack = useStack();

const OCI = 'org.opencontainers.image.';
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
};

/** Asked of git here, not of docker/image-labels.sh, so that a script that printed the wrong commit fails. */
function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The images compose builds for this stack: every service with a `build:` section, by the name it tags. */
async function builtImages(): Promise<string[]> {
  const config = JSON.parse(await stack().composeCli(['config', '--format', 'json'])) as {
    services: Record<string, { build?: unknown; image?: string }>;
  };
  return Object.values(config.services)
    .filter((service) => service.build !== undefined)
    .map((service) => service.image!);
}

async function labelsOf(image: string): Promise<Record<string, string>> {
  return JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image])) ?? {};
}

describe('OCI labels of the images compose builds', () => {
  it('builds the api and the proxy, and no image without a Dockerfile here', async () => {
    const images = await builtImages();

    expect(images.map((image) => image.split(':')[0]).sort()).toEqual(['accounts-stack/api', 'accounts-stack/proxy']);
  });

  it("says which version, licence and commit each image holds: package.json's, and HEAD's in RFC 3339", async () => {
    expect(PACKAGE.license).toBe('MIT');
    const head = git('rev-parse', 'HEAD');
    const committedAt = Number(git('log', '-1', '--format=%ct')) * 1000;

    for (const image of await builtImages()) {
      const labels = await labelsOf(image);

      expect({ image, version: labels[`${OCI}version`] }).toEqual({ image, version: PACKAGE.version });
      expect({ image, licenses: labels[`${OCI}licenses`] }).toEqual({ image, licenses: PACKAGE.license });
      // -dirty only when tracked files differ from HEAD, as they may while a test is written.
      expect(labels[`${OCI}revision`]).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
      expect(labels[`${OCI}revision`].slice(0, 40)).toBe(head);
      expect(labels[`${OCI}created`]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
      expect(Date.parse(labels[`${OCI}created`])).toBe(committedAt);
      expect(labels[`${OCI}title`]).toMatch(/^accounts-stack /);
      expect(labels[`${OCI}description`]).not.toBe('');
    }
  });

  it('names the origin remote as the source, without credentials, or nothing in a clone that has none', async () => {
    let origin = '';
    try {
      origin = git('remote', 'get-url', 'origin');
    } catch {
      // No origin: nothing public to point at, and no host is made up.
    }
    const expected = origin.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1');

    for (const image of await builtImages()) {
      const source = (await labelsOf(image))[`${OCI}source`];

      expect({ image, source }).toEqual({ image, source: expected });
      expect(source).not.toMatch(/:\/\/[^/]*@/);
    }
  });

  it("runs an api that reports in /health the version its image's label names", async () => {
    const api = (await builtImages()).find((image) => image.startsWith('accounts-stack/api:'))!;
    const labelled = (await labelsOf(api))[`${OCI}version`];

    const res = await call(stack(), 'GET', '/health');

    expect(res.status).toBe(200);
    expect(res.body.info.api).toEqual({ status: 'up', version: labelled });
  });
});
