import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** package.json's `name`: a package.json of another name above this file is not this project's. */
export const PACKAGE_NAME = 'accounts-stack';

/**
 * The version the api reports in GET /health: package.json's, the one the
 * images' `org.opencontainers.image.version` label also carries. Taken from
 * the first accounts-stack package.json above `from`: the repository's when
 * run from a checkout (sources or dist/), /app/package.json in the image.
 * The api reads it once, at boot, and refuses to start without it, so it
 * never reports a default.
 */
export function readApiVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (name === PACKAGE_NAME && typeof version === 'string' && version !== '') return version;
    }
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json with a version above ${from}`);
  }
}
