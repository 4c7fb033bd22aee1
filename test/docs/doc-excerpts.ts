/**
 * The docs' excerpts of the stack's files, apart from reading any file: a
 * ```yaml block shows part of a compose file, an ```nginx block lines of an
 * nginx configuration, a ```dockerfile block lines of a Dockerfile, and the
 * paragraph just before the block links the file it is cut from. doc-excerpts.spec.ts checks every such block against
 * that file, so that a page cannot go on teaching a setting the stack has
 * changed.
 *
 * An excerpt may leave out whatever it likes ("shortened"). A YAML one is
 * checked as a part of the file's tree, from the top: every key it shows is
 * in the file at the same place, every value the same, and every item of a
 * list matches an item of the file's list there. An nginx or Dockerfile one
 * is checked line by line: each of its lines, indentation aside, is a line of the file,
 * in the file's order.
 */
import type { Nodes, Paragraph } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { ELLIPSIS } from './doc-commands';

/** The kinds of block checked, and the files each may be cut from. */
const KINDS = { yaml: /\.ya?ml$/, nginx: /\.conf$/, dockerfile: /(^|\/)Dockerfile$/ } as const;
export type Kind = keyof typeof KINDS;

export interface Excerpt {
  readonly kind: Kind;
  /** The block's first line in the page, its fence. */
  readonly line: number;
  readonly text: string;
  /** Repository-relative paths of the files of its kind that the paragraph before it links. */
  readonly sources: readonly string[];
}

const isKind = (lang: string | null | undefined): lang is Kind => lang != null && Object.hasOwn(KINDS, lang);

function linkedFiles(paragraph: Paragraph, page: string, kind: Kind): string[] {
  const found: string[] = [];
  const walk = (node: Nodes) => {
    if (node.type === 'link' && KINDS[kind].test(node.url) && !/^[a-z]+:|^\/\//i.test(node.url)) {
      found.push(posix.normalize(posix.join(posix.dirname(page), node.url)));
    }
    if ('children' in node) node.children.forEach(walk);
  };
  walk(paragraph);
  return found;
}

/** Every ```yaml, ```nginx and ```dockerfile block of a page, with the files its paragraph links; `page` is repository-relative. */
export function excerptsOf(page: string, markdown: string): Excerpt[] {
  const { children } = fromMarkdown(markdown);
  return children.flatMap((node, index) => {
    if (node.type !== 'code' || !isKind(node.lang)) return [];
    const before = children[index - 1];
    return [
      {
        kind: node.lang,
        line: node.position?.start.line ?? 0,
        text: node.value,
        sources: before?.type === 'paragraph' ? linkedFiles(before, page, node.lang) : [],
      },
    ];
  });
}

/**
 * Where `part` is not a part of `whole`, as paths like
 * `services.api.secrets[0].mode`; empty when it is. Scalars compare as YAML
 * read them, so `0400` and `400` are the same number, as they are to Compose.
 */
export function notIn(part: unknown, whole: unknown, path = ''): string[] {
  if (Array.isArray(part)) {
    if (!Array.isArray(whole)) return [`${path || 'the top'}: a list in the excerpt, not in the file`];
    return part.flatMap((item, i) =>
      whole.some((candidate) => notIn(item, candidate).length === 0)
        ? []
        : [`${path}[${i}]: ${JSON.stringify(item)} is no item of the file's list`],
    );
  }
  if (part !== null && typeof part === 'object') {
    if (whole === null || typeof whole !== 'object' || Array.isArray(whole)) {
      return [`${path || 'the top'}: keys in the excerpt, not in the file`];
    }
    const record = whole as Record<string, unknown>;
    return Object.entries(part).flatMap(([key, value]) => {
      const at = path ? `${path}.${key}` : key;
      return key in record ? notIn(value, record[key], at) : [`${at}: not in the file`];
    });
  }
  return part === whole ? [] : [`${path}: ${JSON.stringify(part)} here, ${JSON.stringify(whole)} in the file`];
}

/**
 * The excerpt's lines that are not lines of the file in the file's order,
 * indentation, blank lines and a `…` line (lines left out) aside.
 */
export function linesNotIn(part: string, whole: string): string[] {
  const lines = (text: string) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && line !== ELLIPSIS);
  const file = lines(whole);
  let at = 0;
  return lines(part).flatMap((line) => {
    const found = file.indexOf(line, at);
    if (found === -1) return [`"${line}" is not in the file${file.includes(line) ? ' after the line before it' : ''}`];
    at = found + 1;
    return [];
  });
}

// Compose reads `<<: *anchor` merge keys, which YAML 1.2 leaves to the reader.
const readYaml = (text: string): unknown => parse(text, { merge: true });

/** What is wrong with one excerpt, given a reader of repository files; empty when it matches one of its sources. */
export function excerptProblems(excerpt: Excerpt, read: (path: string) => string): string[] {
  if (excerpt.sources.length === 0) {
    return [`the paragraph before the block links no ${excerpt.kind} file to check it against`];
  }
  const problemsIn = (source: string) =>
    excerpt.kind === 'yaml'
      ? notIn(readYaml(excerpt.text), readYaml(read(source)))
      : linesNotIn(excerpt.text, read(source));
  const tried = excerpt.sources.map((source) => ({ source, problems: problemsIn(source) }));
  if (tried.some(({ problems }) => problems.length === 0)) return [];
  return tried.flatMap(({ source, problems }) => problems.map((problem) => `${source}: ${problem}`));
}
