import { DEFAULT_TIMEOUT_S, DocError, missingLines, parseDoc, type Command } from './doc-commands';

/** A page from its lines, so that each spec can count them. */
const page = (...lines: string[]) => `${lines.join('\n')}\n`;

const FENCE = '```';

/** What parseDoc throws for `markdown`, or a failure if it throws nothing. */
function parseError(markdown: string): DocError {
  try {
    parseDoc('docs/page.md', markdown);
  } catch (error) {
    if (error instanceof DocError) return error;
    throw error;
  }
  throw new Error('parseDoc threw no DocError');
}

describe('parseDoc', () => {
  it('reads each `$ ` line of a console block as a command, with the lines under it up to the next as its output', () => {
    const markdown = page(
      '# A page', //                    1
      '', //                            2
      'Some prose.', //                 3
      '', //                            4
      `${FENCE}console`, //             5
      '$ docker ps --format json', //   6
      'NAME      STATUS', //            7
      'api-1     Up …', //              8
      '', //                            9
      '$ echo done', //                 10
      'done', //                        11
      FENCE, //                         12
    );
    expect(parseDoc('docs/page.md', markdown)).toEqual<Command[]>([
      {
        file: 'docs/page.md',
        line: 6,
        text: 'docker ps --format json',
        expected: ['NAME      STATUS', 'api-1     Up …', ''],
        skipReason: undefined,
        teardown: false,
        timeoutS: DEFAULT_TIMEOUT_S,
      },
      {
        file: 'docs/page.md',
        line: 10,
        text: 'echo done',
        expected: ['done'],
        skipReason: undefined,
        teardown: false,
        timeoutS: 120,
      },
    ]);
  });

  it('keeps the commands of several blocks in page order, each with its own line', () => {
    const markdown = page(`${FENCE}console`, '$ one', FENCE, 'Between.', '', `${FENCE}console`, '$ two', FENCE);
    expect(parseDoc('README.md', markdown).map((c) => [c.file, c.line, c.text])).toEqual([
      ['README.md', 2, 'one'],
      ['README.md', 7, 'two'],
    ]);
  });

  it('carries a command on to the next line after a trailing `\\`, keeping the lines as bash gets them', () => {
    const markdown = page(
      `${FENCE}console`,
      '$ docker run -d \\',
      '    -p 127.0.0.1:5000:3000 \\',
      '$ not-a-new-command',
      'output line',
      FENCE,
    );
    const [command] = parseDoc('docs/page.md', markdown);
    expect(command.line).toBe(2);
    expect(command.text).toBe('docker run -d \\\n    -p 127.0.0.1:5000:3000 \\\n$ not-a-new-command');
    expect(command.expected).toEqual(['output line']);
  });

  it('does not take a `\\` followed by a space as a continuation', () => {
    const [command] = parseDoc('docs/page.md', page(`${FENCE}console`, '$ echo a\\ ', 'a', FENCE));
    expect(command.text).toBe('echo a\\ ');
    expect(command.expected).toEqual(['a']);
  });

  it('allows blank lines before the first command of a block', () => {
    const [command] = parseDoc('docs/page.md', page(`${FENCE}console`, '', '$ ls', FENCE));
    expect(command.line).toBe(3);
  });

  it('runs nothing from other blocks, even with `$ ` lines in them: sh, yaml, text, none, or an indented one', () => {
    const markdown = page(
      `${FENCE}sh`,
      '$ rm -rf /',
      FENCE,
      `${FENCE}yaml`,
      'services: {}',
      FENCE,
      `${FENCE}text`,
      '$ docs: 72 of 75 commands run',
      FENCE,
      FENCE,
      '$ plain',
      FENCE,
      '',
      '    $ indented code',
    );
    expect(parseDoc('docs/page.md', markdown)).toEqual([]);
  });

  it('reads a console block inside a longer fence as text, not as commands', () => {
    const markdown = page('````markdown', `${FENCE}console`, '$ shown, not run', FENCE, '````');
    expect(parseDoc('docs/page.md', markdown)).toEqual([]);
  });

  it('reads tilde fences as well as backtick ones, and the first word of the info string', () => {
    const markdown = page('~~~console', '$ tilde', '~~~', `${FENCE}console title="x"`, '$ titled', FENCE);
    expect(parseDoc('docs/page.md', markdown).map((c) => [c.line, c.text])).toEqual([
      [2, 'tilde'],
      [5, 'titled'],
    ]);
  });

  it('runs a console block inside a list item, with its own lines', () => {
    const markdown = page('1. Build:', '', `   ${FENCE}console`, '   $ docker build .', '   …', `   ${FENCE}`);
    expect(parseDoc('docs/page.md', markdown).map((c) => [c.line, c.text, c.expected])).toEqual([
      [4, 'docker build .', ['…']],
    ]);
  });

  it('reads a fence right inside an HTML block as HTML, as CommonMark does, and runs it after a blank line', () => {
    const tight = page('<details>', `${FENCE}console`, '$ ls', FENCE, '</details>');
    const loose = page('<details>', '', `${FENCE}console`, '$ ls', FENCE, '', '</details>');
    expect(parseDoc('docs/page.md', tight)).toEqual([]);
    expect(parseDoc('docs/page.md', loose).map((c) => [c.line, c.text])).toEqual([[4, 'ls']]);
  });

  it('finds no commands in a page without console blocks', () => {
    expect(parseDoc('docs/page.md', page('# Only prose', '', 'Nothing to run.'))).toEqual([]);
  });

  describe('directives', () => {
    const directed = (...comments: string[]) =>
      parseDoc(
        'docs/page.md',
        page(...comments, `${FENCE}console`, '$ one', '$ two', FENCE, `${FENCE}console`, '$ three', FENCE),
      );

    it('`not run: <reason>` skips every command of the block below it, and no other, with the reason trimmed', () => {
      const commands = directed('<!-- not run: follows until Ctrl-C   -->');
      expect(commands.map((c) => [c.text, c.skipReason])).toEqual([
        ['one', 'follows until Ctrl-C'],
        ['two', 'follows until Ctrl-C'],
        ['three', undefined],
      ]);
    });

    it('`teardown` marks every command of the block below it, and no other', () => {
      expect(directed('<!-- teardown -->').map((c) => [c.text, c.teardown])).toEqual([
        ['one', true],
        ['two', true],
        ['three', false],
      ]);
    });

    it('`timeout: <seconds>` sets the limit of every command of the block below it, with or without an `s`', () => {
      expect(directed('<!-- timeout: 900 -->').map((c) => c.timeoutS)).toEqual([900, 900, 120]);
      expect(directed('<!--timeout:30 s-->').map((c) => c.timeoutS)).toEqual([30, 30, 120]);
    });

    it('combines several comments above one block, blank lines between them and the fence allowed', () => {
      const [command] = directed('<!-- teardown -->', '', '<!-- timeout: 5 -->', '<!-- not run: later -->', '', '');
      expect(command).toEqual<Command>({
        file: 'docs/page.md',
        line: 8,
        text: 'one',
        expected: [],
        skipReason: 'later',
        teardown: true,
        timeoutS: 5,
      });
    });

    it('applies to the block only when nothing but blank lines stands between them', () => {
      const markdown = page('<!-- teardown -->', 'A sentence.', '', `${FENCE}console`, '$ one', FENCE);
      const commands = parseDoc('docs/page.md', markdown);
      expect(commands.map((c) => c.teardown)).toEqual([false]);
    });

    it("rejects an unknown directive above a console block, at the comment's line", () => {
      const markdown = page('Text.', '', '<!-- teardown -->', '<!-- timout: 900 -->', `${FENCE}console`, '$ ls', FENCE);
      const error = parseError(markdown);
      expect(error.message).toBe(
        'docs/page.md:4: unknown directive <!-- timout: 900 --> above a console block ' +
          '(known: "not run: <reason>", "teardown", "timeout: <seconds>")',
      );
    });

    it('rejects a `not run:` without a reason and a timeout that is not a whole number of seconds', () => {
      expect(parseError(page('<!-- not run: -->', `${FENCE}console`, '$ ls', FENCE)).message).toMatch(
        /^docs\/page\.md:1: unknown directive <!-- not run: -->/,
      );
      expect(parseError(page('<!-- timeout: 1.5 -->', `${FENCE}console`, '$ ls', FENCE)).message).toMatch(
        /^docs\/page\.md:1: unknown directive <!-- timeout: 1\.5 -->/,
      );
    });

    it("rejects a directive above any other block, at the fence's line", () => {
      for (const directive of ['<!-- teardown -->', '<!-- not run: x -->', '<!-- timeout: 9 -->']) {
        const error = parseError(page('# Page', '', directive, '', `${FENCE}sh`, '$ ls', FENCE));
        expect(error.message).toBe('docs/page.md:5: a directive is only meaningful above a ```console block');
      }
    });

    it('rejects a directive above an indented code block, at its first line', () => {
      const error = parseError(page('<!-- teardown -->', '', '    docker compose down'));
      expect(error.message).toBe('docs/page.md:3: a directive is only meaningful above a ```console block');
    });

    it('leaves other comments above other blocks alone', () => {
      expect(parseDoc('docs/page.md', page('<!-- prettier-ignore -->', `${FENCE}yaml`, 'a: 1', FENCE))).toEqual([]);
    });
  });

  describe('errors', () => {
    it('rejects a console block whose first line is not a command, at that line', () => {
      const error = parseError(page('Intro.', '', `${FENCE}console`, '', 'output first', '$ ls', FENCE));
      expect(error.message).toBe('docs/page.md:5: a console block must start with a `$ ` command');
    });

    it('rejects a `$` with no space after it as the start of a block', () => {
      expect(parseError(page(`${FENCE}console`, '$ls', FENCE)).message).toBe(
        'docs/page.md:2: a console block must start with a `$ ` command',
      );
    });

    it("rejects a command whose last line ends with `\\`, at the command's first line", () => {
      const error = parseError(page(`${FENCE}console`, '$ ls', '$ docker run \\', '    --rm \\', FENCE));
      expect(error.message).toBe("docs/page.md:3: the command's last line ends with \\");
    });

    it('rejects a fence that is never closed, at the fence, whatever its language', () => {
      expect(parseError(page('Intro.', '', `${FENCE}console`, '$ ls', 'more prose')).message).toBe(
        'docs/page.md:3: code block is never closed',
      );
      expect(parseError(page(`${FENCE}yaml`, 'a: 1')).message).toBe('docs/page.md:1: code block is never closed');
      expect(parseError(`${FENCE}console`).message).toBe('docs/page.md:1: code block is never closed');
    });

    it('does not close a fence with a shorter one or one of the other character', () => {
      expect(parseError(page('````console', '$ ls', FENCE)).message).toBe('docs/page.md:1: code block is never closed');
      expect(parseError(page('~~~console', '$ ls', FENCE)).message).toBe('docs/page.md:1: code block is never closed');
    });

    it('rejects a fence left open at the end of its list item', () => {
      const error = parseError(page('- Run:', `  ${FENCE}console`, '  $ ls', '', 'Prose after the list.'));
      expect(error.message).toBe('docs/page.md:2: code block is never closed');
    });

    it('reports the first problem of the page', () => {
      const error = parseError(page('<!-- nope -->', `${FENCE}console`, '$ ls', FENCE, `${FENCE}console`, 'x', FENCE));
      expect(error.message).toMatch(/^docs\/page\.md:1: unknown directive/);
    });
  });
});

describe('missingLines', () => {
  it('finds every shown line in the output, whatever the spacing of columns', () => {
    const output =
      'NAME           IMAGE                    STATUS\naccounts-api-1 accounts-stack/api:dev   Up 3 seconds\n';
    const shown = ['NAME IMAGE STATUS', '  accounts-api-1   accounts-stack/api:dev  Up 3 seconds  '];
    expect(missingLines(shown, output)).toEqual([]);
  });

  it('returns the shown lines that match no line of the output, as written', () => {
    const shown = ['HTTP/1.1 200 OK', 'X-Request-Id:   …', 'gone'];
    expect(missingLines(shown, 'HTTP/1.1 201 Created\nX-Request-Id: abc')).toEqual(['HTTP/1.1 200 OK', 'gone']);
  });

  it('matches whole lines only', () => {
    expect(missingLines(['ok'], 'not ok\nok then')).toEqual(['ok']);
  });

  it('matches in any order', () => {
    expect(missingLines(['third', 'first', 'second'], 'first\nsecond\nthird')).toEqual([]);
  });

  it('uses each output line for one shown line at most', () => {
    expect(missingLines(['Up …', 'Up …'], 'Up 1 second')).toEqual(['Up …']);
    expect(missingLines(['Up …', 'Up …'], 'Up 1 second\nUp 2 seconds')).toEqual([]);
  });

  it('reads `…` as any text, the spaces around it included', () => {
    const shown = ['api-1 … running'];
    expect(missingLines(shown, 'api-1  accounts-stack/api:dev  running')).toEqual([]);
    expect(missingLines(shown, 'api-1 running')).toEqual([]);
    expect(missingLines(shown, 'api-1running')).toEqual([]);
    expect(missingLines(shown, 'api-2 running')).toEqual(shown);
    const buildLine = '#9 naming to local/accounts-stack/api:dev done';
    expect(missingLines(['…naming to …accounts-stack/api:dev…'], buildLine)).toEqual([]);
  });

  it('lets a column shown as `…` be empty', () => {
    const shown = ['NAME  IMAGE  PORTS  STATUS', 'db-1  postgres:17  …  Up'];
    expect(missingLines(shown, 'NAME IMAGE PORTS STATUS\ndb-1 postgres:17 Up')).toEqual([]);
    expect(missingLines(shown, 'NAME IMAGE PORTS STATUS\ndb-1 postgres:17 5432/tcp Up')).toEqual([]);
  });

  it('checks nothing for a line of `…` alone or a blank line, even with no output', () => {
    expect(missingLines(['…', '', '   ', '  …  '], '')).toEqual([]);
  });

  it('reads every other character literally', () => {
    expect(missingLines(['GET /accounts?id=(1) [a-z]+ $HOME'], 'GET /accounts?id=(1) [a-z]+ $HOME')).toEqual([]);
    expect(missingLines(['a.c'], 'abc')).toEqual(['a.c']);
    expect(missingLines(['x*'], 'xxx')).toEqual(['x*']);
  });

  it('strips ANSI colours and cursor codes from the output before matching', () => {
    const output = '\x1b[32mINFO\x1b[39m: \x1b[1mrequest completed\x1b[22m\n\x1b[?25l\x1b[2Kdone';
    expect(missingLines(['INFO: request completed', 'done'], output)).toEqual([]);
  });

  it('splits the output at \\n, \\r\\n and \\r alike', () => {
    expect(missingLines(['one', 'two', 'three'], 'one\r\ntwo\rthree')).toEqual([]);
  });
});
