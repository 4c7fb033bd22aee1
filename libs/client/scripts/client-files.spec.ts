import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStale, renderClientFiles, staleClientFiles, writeClientFiles } from './client-files';

const CLIENT_ROOT = join(__dirname, '..');
const committedDocument = () => JSON.parse(readFileSync(join(CLIENT_ROOT, 'openapi.json'), 'utf8'));

/** The committed document with one more field on Account, as when a DTO gains a property. */
function withNewAccountField() {
  const document = committedDocument();
  document.components.schemas.Account.properties.nickname = { type: 'string' };
  return document;
}

describe('the client drift check', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-client-'));
    cpSync(join(CLIENT_ROOT, 'openapi.json'), join(dir, 'openapi.json'));
    cpSync(join(CLIENT_ROOT, 'src'), join(dir, 'src'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the committed schema.ts to be what the committed openapi.json generates', async () => {
    const files = await renderClientFiles(committedDocument());

    expect(await staleClientFiles(files, CLIENT_ROOT)).toEqual([]);
  });

  it('reports both files when the document changes and nothing is regenerated', async () => {
    const files = await renderClientFiles(withNewAccountField());

    const stale = await staleClientFiles(files, dir);

    expect(stale).toEqual(['openapi.json', 'src/schema.ts']);
    expect(describeStale(stale)).toContain('npm run client:generate');
  });

  it('reports schema.ts when only the document was updated by hand', async () => {
    const files = await renderClientFiles(withNewAccountField());
    await writeClientFiles({ ...files, 'src/schema.ts': readFileSync(join(dir, 'src/schema.ts'), 'utf8') }, dir);

    expect(await staleClientFiles(files, dir)).toEqual(['src/schema.ts']);
  });

  it('reports nothing once the client is regenerated, and the new field is in the types', async () => {
    const files = await renderClientFiles(withNewAccountField());
    await writeClientFiles(files, dir);

    expect(await staleClientFiles(files, dir)).toEqual([]);
    expect(files['src/schema.ts']).toMatch(/Account: \{[^}]*nickname\?: string;/);
  });

  it('writes the same bytes whatever order the document lists its keys in', async () => {
    const document = committedDocument();
    const reversed = Object.fromEntries(Object.entries(document).reverse());

    expect(await renderClientFiles(reversed)).toEqual(await renderClientFiles(document));
  });
});
