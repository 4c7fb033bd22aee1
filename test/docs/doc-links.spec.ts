import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorsOf, brokenLinks, lineCount, linksOf, type Repository } from './doc-links';
import { readerPages, ROOT } from './pages';

/** The README is the front door (issue 23): what the stack is, how to run and test it, and where to go next. */
const README_MAX_LINES = 150;

const checkout: Repository = {
  exists: (path) => existsSync(join(ROOT, path)),
  read: (path) => readFileSync(join(ROOT, path), 'utf8'),
};

/** A repository of the given files, and of the folders that hold them. */
function repository(files: Record<string, string>): Repository {
  const folders = new Set(
    Object.keys(files).flatMap((f) =>
      f
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  return {
    exists: (path) => path in files || folders.has(path),
    read: (path) => files[path],
  };
}

/** A page from its lines, so that each spec can count them. */
const page = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('the docs', () => {
  it(`keep README.md at ${README_MAX_LINES} lines or fewer`, () => {
    expect(lineCount(checkout.read('README.md'))).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('link only to files and headings that exist', () => {
    const problems = readerPages().flatMap((file) => brokenLinks(file, checkout.read(file), checkout));

    expect(problems).toEqual([]);
  });

  // The alerts carry their runbook's address as an annotation; a page that moves must take them along.
  it("give every alert's runbook a page and a heading that exist", () => {
    const rules = readdirSync(join(ROOT, 'docker/monitoring/rules')).map((f) => `docker/monitoring/rules/${f}`);
    const runbooks = rules.flatMap((file) =>
      [...checkout.read(file).matchAll(/runbook: "([^"#]+)#([^",]+),/g)].map(([, path, anchor]) => ({ path, anchor })),
    );

    expect(runbooks.length).toBeGreaterThan(0);
    for (const { path, anchor } of runbooks) {
      expect([path, anchorsOf(checkout.read(path)).includes(anchor)]).toEqual([path, true]);
    }
  });
});

describe('brokenLinks', () => {
  it('names a link to a file that does not exist, with its file and line', () => {
    const repo = repository({ 'README.md': '', 'docs/a.md': '' });
    const markdown = page('# A', '', 'See [b](b.md), [a](a.md) and [the README](../README.md).');

    expect(brokenLinks('docs/a.md', markdown, repo)).toEqual([
      'docs/a.md:3: b.md: no file docs/b.md in the repository',
    ]);
  });

  it('names an anchor that no heading of the target makes, in another page or the same one', () => {
    const repo = repository({ 'docs/b.md': page('# B', '', '## Settings') });
    const markdown = page('# A', '', '[ok](b.md#settings) [gone](b.md#errors) [here](#a) [not here](#b)');

    expect(brokenLinks('docs/a.md', markdown, repo)).toEqual([
      'docs/a.md:3: b.md#errors: docs/b.md has no heading whose anchor is #errors',
      'docs/a.md:3: #b: docs/a.md has no heading whose anchor is #b',
    ]);
  });

  it('names a path out of the repository, and an absolute one', () => {
    const repo = repository({ 'README.md': '' });
    const markdown = page('[up](../outside.md) [root](/README.md)');

    expect(brokenLinks('README.md', markdown, repo)).toEqual([
      'README.md:1: ../outside.md: no file ../outside.md in the repository',
      'README.md:1: /README.md: an absolute path, which GitHub resolves against its own site',
    ]);
  });

  it('checks reference definitions and images, and folders as targets', () => {
    const repo = repository({ 'docs/a.md': '' });
    const markdown = page('[a][1] ![b](b.png) [docs](../docs/)', '', '[1]: missing.md');

    expect(brokenLinks('docs/a.md', markdown, repo)).toEqual([
      'docs/a.md:1: b.png: no file docs/b.png in the repository',
      'docs/a.md:3: missing.md: no file docs/missing.md in the repository',
    ]);
  });

  it("leaves the web's links, code, and the line anchors of files that are not Markdown alone", () => {
    const repo = repository({ 'run.sh': '' });
    const markdown = page(
      '[web](https://example.org/x.md#nope) [mail](mailto:a@example.org) [line](run.sh#L3) `[code](gone.md)`',
      '',
      '```text',
      '[in a block](gone.md)',
      '```',
    );

    expect(brokenLinks('README.md', markdown, repo)).toEqual([]);
  });

  it('decodes percent-escapes in the path and the anchor', () => {
    const repo = repository({ 'docs/a b.md': page('# Où') });

    expect(brokenLinks('README.md', page('[x](docs/a%20b.md#o%C3%B9)'), repo)).toEqual([]);
  });
});

describe('anchorsOf', () => {
  it("slugs headings as GitHub does: lower case, punctuation dropped, code spans' text kept, repeats numbered", () => {
    const markdown = page(
      '# accounts-stack',
      '## State, and the seed',
      '## What `npm test` runs',
      '## [Linked](x.md) *and* emphasised',
      '## Backups',
      '### Backups',
      'Setext',
      '------',
      '```md',
      '## not a heading',
      '```',
    );

    expect(anchorsOf(markdown)).toEqual([
      'accounts-stack',
      'state-and-the-seed',
      'what-npm-test-runs',
      'linked-and-emphasised',
      'backups',
      'backups-1',
      'setext',
    ]);
  });
});

describe('linksOf', () => {
  it('gives each relative link with the line it starts on', () => {
    expect(linksOf(page('text', '[a](a.md) and', '[b](#b)'))).toEqual([
      { url: 'a.md', line: 2 },
      { url: '#b', line: 3 },
    ]);
  });
});

describe('lineCount', () => {
  it('counts the lines of a text, the last one with or without its newline', () => {
    expect([lineCount(''), lineCount('a\n'), lineCount('a\nb'), lineCount('a\n\n')]).toEqual([0, 1, 2, 2]);
  });
});
