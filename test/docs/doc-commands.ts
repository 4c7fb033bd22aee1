/**
 * The docs runner's rules, apart from running anything: which commands a
 * Markdown page shows, what its directives say about them, and whether a
 * command's output holds the lines shown under it. test/docs/README.md
 * explains them to doc authors; doc-commands.spec.ts pins them.
 *
 * A `.ts` file, not `.mts`: the runner loads it with Node's type stripping and
 * the unit specs with ts-jest, like test/support/projects.ts.
 */
import type { Code, Nodes, Parents } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';

export const DEFAULT_TIMEOUT_S = 120;
export const ELLIPSIS = '…';

export interface Command {
  readonly file: string;
  /** The line of the command's `$ `, 1-based, in `file`. */
  readonly line: number;
  /** The command as bash gets it: continued lines kept, joined by newlines. */
  readonly text: string;
  /** The lines shown under the command, as written. */
  readonly expected: readonly string[];
  readonly skipReason?: string;
  readonly teardown: boolean;
  readonly timeoutS: number;
}

interface Directives {
  skipReason?: string;
  teardown: boolean;
  timeoutS: number;
}

interface Comment {
  readonly text: string;
  readonly line: number;
}

/** A page the runner cannot read as its author meant; the message starts with `file:line`. */
export class DocError extends Error {}

/** The commands of one Markdown file, in order. */
export function parseDoc(file: string, markdown: string): Command[] {
  const commands: Command[] = [];
  const visit = (parent: Parents) => {
    // HTML comments that are the nodes right before a block: only blank lines, which are no node, can come between.
    let comments: Comment[] = [];
    for (const node of parent.children) {
      const comment = node.type === 'html' ? commentIn(node.value) : undefined;
      if (comment !== undefined) {
        comments.push({ text: comment, line: startLine(node) });
        continue;
      }
      if (node.type === 'code') {
        commands.push(...parseBlock(file, markdown, node, comments));
      } else if ('children' in node) {
        visit(node);
      }
      comments = [];
    }
  };
  visit(fromMarkdown(markdown));
  return commands;
}

/** The text of an HTML node that is one comment alone on its line, trimmed. */
function commentIn(html: string): string | undefined {
  return /^<!--\s*(.*?)\s*-->\s*$/.exec(html)?.[1];
}

function startLine(node: Nodes): number {
  if (!node.position) throw new Error('mdast-util-from-markdown gave a node without a position');
  return node.position.start.line;
}

function parseBlock(file: string, markdown: string, code: Code, comments: readonly Comment[]): Command[] {
  const fenceLine = startLine(code);
  if (!isClosed(markdown, code)) throw new DocError(`${file}:${fenceLine}: code block is never closed`);
  if (code.lang === 'console') {
    // A fenced block's value holds its lines between the fences, one for one, so the first is the line after the fence.
    return parseConsoleBlock(file, fenceLine + 1, code.value.split('\n'), parseDirectives(file, comments));
  }
  if (comments.some((c) => looksLikeDirective(c.text))) {
    throw new DocError(`${file}:${fenceLine}: a directive is only meaningful above a \`\`\`console block`);
  }
  return [];
}

/**
 * CommonMark ends a fence left open at the end of the document (or of its
 * list item or quote) without a word; here it is a mistake to report, since
 * the page's own text after it would be read as the block's lines. Indented
 * code has no fences to close.
 */
function isClosed(markdown: string, code: Code): boolean {
  const source = markdown.slice(code.position?.start.offset, code.position?.end.offset);
  const opening = /^(`{3,}|~{3,})/.exec(source);
  if (!opening) return true;
  const lines = source.split('\n');
  // The last line may carry a quote's `>` or a list's indentation before the fence.
  const closing = /^[\s>]*(`{3,}|~{3,})\s*$/.exec(lines[lines.length - 1]);
  return (
    lines.length > 1 && closing !== null && closing[1][0] === opening[1][0] && closing[1].length >= opening[1].length
  );
}

function parseDirectives(file: string, comments: readonly Comment[]): Directives {
  const directives: Directives = { teardown: false, timeoutS: DEFAULT_TIMEOUT_S };
  for (const { text, line } of comments) {
    const notRun = /^not run:\s*(\S.*)$/.exec(text);
    const timeout = /^timeout:\s*(\d+)\s*s?$/.exec(text);
    if (notRun) directives.skipReason = notRun[1].trim();
    else if (text === 'teardown') directives.teardown = true;
    else if (timeout) directives.timeoutS = Number(timeout[1]);
    else
      throw new DocError(
        `${file}:${line}: unknown directive <!-- ${text} --> above a console block ` +
          '(known: "not run: <reason>", "teardown", "timeout: <seconds>")',
      );
  }
  return directives;
}

/** Whether a comment above some other block was meant for the runner, rather than for the page's readers. */
function looksLikeDirective(text: string): boolean {
  return /^(not run:|teardown$|timeout:)/.test(text);
}

function parseConsoleBlock(file: string, firstLine: number, body: readonly string[], d: Directives): Command[] {
  const commands: Command[] = [];
  let current: { line: number; text: string[]; expected: string[]; continued: boolean } | undefined;
  const flush = () => {
    if (!current) return;
    commands.push({
      file,
      line: current.line,
      text: current.text.join('\n'),
      expected: current.expected,
      skipReason: d.skipReason,
      teardown: d.teardown,
      timeoutS: d.timeoutS,
    });
  };
  body.forEach((raw, index) => {
    const lineNo = firstLine + index;
    if (current?.continued) {
      current.text.push(raw);
      current.continued = raw.endsWith('\\');
    } else if (raw.startsWith('$ ')) {
      flush();
      current = { line: lineNo, text: [raw.slice(2)], expected: [], continued: raw.endsWith('\\') };
    } else if (!current) {
      if (raw.trim() !== '') throw new DocError(`${file}:${lineNo}: a console block must start with a \`$ \` command`);
    } else {
      current.expected.push(raw);
    }
  });
  if (current?.continued) throw new DocError(`${file}:${current.line}: the command's last line ends with \\`);
  flush();
  return commands;
}

// eslint-disable-next-line no-control-regex -- ESC is what starts a terminal escape sequence
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Terminal colours and cursor moves out, for matching and for showing output in a log. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Whitespace runs become one space, so column alignment never matters. */
function normalize(line: string): string {
  return stripAnsi(line).replace(/\s+/g, ' ').trim();
}

/** `…` stands for any text, the spaces around it included, so a column shown as `…` may be empty. */
function patternOf(expected: string): RegExp {
  const parts = normalize(expected)
    .split(/ ?… ?/)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** The shown lines that match no line of the output, each output line used at most once. */
export function missingLines(expected: readonly string[], output: string): string[] {
  const actual = output
    .split(/\r\n|\r|\n/)
    .map(normalize)
    .filter((l) => l !== '');
  const used = new Set<number>();
  const missing: string[] = [];
  for (const shown of expected) {
    const wanted = normalize(shown);
    if (wanted === '' || wanted === ELLIPSIS) continue;
    const pattern = patternOf(shown);
    const at = actual.findIndex((line, i) => !used.has(i) && pattern.test(line));
    if (at === -1) missing.push(shown);
    else used.add(at);
  }
  return missing;
}
