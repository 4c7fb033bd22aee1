import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { excerptProblems, notIn, yamlExcerpts } from './doc-excerpts';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const pages = () =>
  readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.split('\\').join('/')}`)
    .sort();

describe("the docs' YAML excerpts", () => {
  const excerpts = pages().flatMap((page) =>
    yamlExcerpts(page, read(page)).map((excerpt) => ({ at: `${page}:${excerpt.line}`, excerpt })),
  );

  it('are there to check', () => {
    expect(excerpts.length).toBeGreaterThan(0);
  });

  it.each(excerpts.map(({ at, excerpt }) => [at, excerpt] as const))(
    '%s is a part of the file it links',
    (_, excerpt) => {
      expect(excerptProblems(excerpt, read)).toEqual([]);
    },
  );
});

describe('notIn', () => {
  const file = {
    services: { api: { image: 'api:dev', secrets: [{ source: 'key', mode: 0o400 }, 'other'] } },
  };

  it('accepts any part of the tree, lists by item', () => {
    expect(notIn({ services: { api: { secrets: ['other'] } } }, file)).toEqual([]);
    expect(notIn({ services: { api: { secrets: [{ source: 'key' }] } } }, file)).toEqual([]);
  });

  it('names a changed value, a key the file lacks and a list item it lacks', () => {
    expect(notIn({ services: { api: { image: 'api:old' } } }, file)).toEqual([
      'services.api.image: "api:old" here, "api:dev" in the file',
    ]);
    expect(notIn({ services: { proxy: {} } }, file)).toEqual(['services.proxy: not in the file']);
    expect(notIn({ services: { api: { secrets: [{ source: 'key', mode: 0o600 }] } } }, file)).toEqual([
      'services.api.secrets[0]: {"source":"key","mode":384} is no item of the file\'s list',
    ]);
  });
});

describe('yamlExcerpts and excerptProblems', () => {
  const page = [
    'From [`compose.yaml`](../compose.yaml), shortened:',
    '',
    '```yaml',
    'services:',
    '  api:',
    '    image: api:dev',
    '```',
    '',
    'A block with no file named before it:',
    '',
    '```yaml',
    'x: 1',
    '```',
    '',
  ].join('\n');
  const files: Record<string, string> = { 'compose.yaml': 'services:\n  api:\n    image: api:dev\n    init: true\n' };

  it('finds each block with the files its paragraph links, relative to the page', () => {
    expect(yamlExcerpts('docs/page.md', page)).toEqual([
      { line: 3, yaml: 'services:\n  api:\n    image: api:dev', sources: ['compose.yaml'] },
      { line: 11, yaml: 'x: 1', sources: [] },
    ]);
  });

  it('passes a block that is part of its file, and explains the others', () => {
    const [cut, unnamed] = yamlExcerpts('docs/page.md', page);
    expect(excerptProblems(cut, (path) => files[path])).toEqual([]);
    expect(excerptProblems({ ...cut, yaml: 'services:\n  api:\n    init: false' }, (path) => files[path])).toEqual([
      'compose.yaml: services.api.init: false here, true in the file',
    ]);
    expect(excerptProblems(unnamed, (path) => files[path])).toEqual([
      'the paragraph before the block links no .yaml file to check it against',
    ]);
  });
});
