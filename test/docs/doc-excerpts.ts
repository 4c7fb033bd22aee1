/**
 * The docs' YAML excerpts, apart from reading any file: a ```yaml block
 * shows part of a compose file, and the paragraph just before it links the
 * file it is cut from. doc-excerpts.spec.ts checks every such block against
 * that file, so that a page cannot go on teaching a setting the stack has
 * changed.
 *
 * An excerpt may leave out whatever it likes ("shortened"): it is checked as
 * a part of the file's tree, from the top. Every key it shows is in the
 * file at the same place, every value the same, and every item of a list
 * matches an item of the file's list there.
 */
import type { Nodes, Paragraph } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { posix } from 'node:path';
import { parse } from 'yaml';

export interface Excerpt {
  /** The block's first line in the page, its fence. */
  readonly line: number;
  readonly yaml: string;
  /** Repository-relative paths of the .yaml files the paragraph before it links. */
  readonly sources: readonly string[];
}

const linkedYaml = (paragraph: Paragraph, page: string): string[] => {
  const found: string[] = [];
  const walk = (node: Nodes) => {
    if (node.type === 'link' && /\.ya?ml$/.test(node.url) && !/^[a-z]+:|^\/\//i.test(node.url)) {
      found.push(posix.normalize(posix.join(posix.dirname(page), node.url)));
    }
    if ('children' in node) node.children.forEach(walk);
  };
  walk(paragraph);
  return found;
};

/** Every ```yaml block of a page, with the files its paragraph links; `page` is repository-relative. */
export function yamlExcerpts(page: string, markdown: string): Excerpt[] {
  const { children } = fromMarkdown(markdown);
  return children.flatMap((node, index) => {
    if (node.type !== 'code' || node.lang !== 'yaml') return [];
    const before = children[index - 1];
    return [
      {
        line: node.position?.start.line ?? 0,
        yaml: node.value,
        sources: before?.type === 'paragraph' ? linkedYaml(before, page) : [],
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

/** What is wrong with one excerpt, given a reader of repository files; empty when it matches one of its sources. */
export function excerptProblems(excerpt: Excerpt, read: (path: string) => string): string[] {
  if (excerpt.sources.length === 0) {
    return ['the paragraph before the block links no .yaml file to check it against'];
  }
  // Compose reads `<<: *anchor` merge keys, which YAML 1.2 leaves to the reader.
  const part: unknown = parse(excerpt.yaml, { merge: true });
  const tried = excerpt.sources.map((source) => ({
    source,
    problems: notIn(part, parse(read(source), { merge: true })),
  }));
  if (tried.some(({ problems }) => problems.length === 0)) return [];
  return tried.flatMap(({ source, problems }) => problems.map((problem) => `${source}: ${problem}`));
}
