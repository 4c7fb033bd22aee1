import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { excerptProblems, excerptsOf, linesNotIn, notIn } from './doc-excerpts';
import { readerPages, ROOT } from './pages';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe("the docs' excerpts of the stack's files", () => {
  const excerpts = readerPages().flatMap((page) =>
    excerptsOf(page, read(page)).map((excerpt) => ({ at: `${page}:${excerpt.line}`, excerpt })),
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

describe('linesNotIn', () => {
  const conf = 'http {\n  resolver 127.0.0.11 valid=2s;\n  upstream api {\n    server api:3000 resolve;\n  }\n}\n';

  it('accepts lines of the file in its order, whatever their indentation, with lines left out', () => {
    expect(linesNotIn('resolver 127.0.0.11 valid=2s;\n…\n      server api:3000 resolve;', conf)).toEqual([]);
  });

  it('names a line the file lacks, and one out of order', () => {
    expect(linesNotIn('resolver 127.0.0.11 valid=30s;', conf)).toEqual([
      '"resolver 127.0.0.11 valid=30s;" is not in the file',
    ]);
    expect(linesNotIn('server api:3000 resolve;\nresolver 127.0.0.11 valid=2s;', conf)).toEqual([
      '"resolver 127.0.0.11 valid=2s;" is not in the file after the line before it',
    ]);
  });
});

describe('excerptsOf and excerptProblems', () => {
  const page = [
    'From [`compose.yaml`](../compose.yaml), shortened:',
    '',
    '```yaml',
    'services:',
    '  api:',
    '    image: api:dev',
    '```',
    '',
    'A block whose paragraph links [a config](../nginx.conf) but no compose file:',
    '',
    '```yaml',
    'x: 1',
    '```',
    '',
    'And [that config](../nginx.conf):',
    '',
    '```nginx',
    'worker_processes 1;',
    '```',
    '',
    'The last lines of [the image](../docker/api/Dockerfile):',
    '',
    '```dockerfile',
    'USER node',
    '…',
    'CMD ["dist/main.js"]',
    '```',
    '',
  ].join('\n');
  const files: Record<string, string> = {
    'compose.yaml': 'services:\n  api:\n    image: api:dev\n    init: true\n',
    'nginx.conf': 'worker_processes auto;\n',
    'docker/api/Dockerfile': 'FROM node\nUSER node\nEXPOSE 3000\nCMD ["dist/main.js"]\n',
  };
  const read = (path: string) => files[path];

  it('finds each block with the files of its kind that its paragraph links, relative to the page', () => {
    expect(excerptsOf('docs/page.md', page)).toEqual([
      { kind: 'yaml', line: 3, text: 'services:\n  api:\n    image: api:dev', sources: ['compose.yaml'] },
      { kind: 'yaml', line: 11, text: 'x: 1', sources: [] },
      { kind: 'nginx', line: 17, text: 'worker_processes 1;', sources: ['nginx.conf'] },
      {
        kind: 'dockerfile',
        line: 23,
        text: 'USER node\n…\nCMD ["dist/main.js"]',
        sources: ['docker/api/Dockerfile'],
      },
    ]);
  });

  it('passes a block that is part of its file, and explains the others', () => {
    const [cut, unnamed, config, dockerfile] = excerptsOf('docs/page.md', page);
    expect(excerptProblems(cut, read)).toEqual([]);
    expect(excerptProblems({ ...cut, text: 'services:\n  api:\n    init: false' }, read)).toEqual([
      'compose.yaml: services.api.init: false here, true in the file',
    ]);
    expect(excerptProblems(unnamed, read)).toEqual([
      'the paragraph before the block links no yaml file to check it against',
    ]);
    expect(excerptProblems(config, read)).toEqual(['nginx.conf: "worker_processes 1;" is not in the file']);
    expect(excerptProblems(dockerfile, read)).toEqual([]);
    expect(excerptProblems({ ...dockerfile, text: 'CMD ["dist/main.js"]\nUSER node' }, read)).toEqual([
      'docker/api/Dockerfile: "USER node" is not in the file after the line before it',
    ]);
  });
});
