import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_NAME, readApiVersion } from './api-version';

describe('readApiVersion', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-version-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the repository's package.json from the sources", () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8'));

    expect(readApiVersion()).toBe(version);
  });

  it('takes the nearest accounts-stack package.json, as /app/package.json above /app/dist in the image', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: PACKAGE_NAME, version: '1.2.3' }));
    mkdirSync(join(dir, 'dist', 'health'), { recursive: true });

    expect(readApiVersion(join(dir, 'dist', 'health'))).toBe('1.2.3');
  });

  it("passes over a package.json of another name, and refuses to answer when there is no project's one", () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'something-else', version: '9.9.9' }));

    expect(() => readApiVersion(dir)).toThrow(`no ${PACKAGE_NAME} package.json with a version above ${dir}`);
  });
});
