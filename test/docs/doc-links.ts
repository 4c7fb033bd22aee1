/**
 * The docs' links, apart from reading any file: which relative links a
 * Markdown page holds, which `#anchors` its headings make, and which links
 * point at no file or no heading. doc-links.spec.ts runs it over the pages.
 *
 * Headings become anchors by github-slugger, the slugging GitHub's own
 * renderer uses (lower case, punctuation dropped, spaces to hyphens, `-1`,
 * `-2` for repeats), so an anchor that passes here works on GitHub. The
 * Markdown is read by mdast-util-from-markdown, as doc-commands.ts reads it,
 * so a link or heading inside a code block is no link and no heading.
 */
import GithubSlugger from 'github-slugger';
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { posix } from 'node:path';

export interface Link {
  /** The destination as written: a path, a `#anchor`, or both. */
  readonly url: string;
  readonly line: number;
}

/** What a check needs to know of the repository, by repository-relative path. */
export interface Repository {
  /** A file or a folder. */
  exists(path: string): boolean;
  read(path: string): string;
}

/** `scheme:` or `//host`: the web's, which a check from here cannot reach. */
const EXTERNAL = /^(?:[a-z][a-z\d+.-]*:|\/\/)/i;

/** The relative links and image sources of a page, reference definitions included, in order. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  const visit = (node: Nodes) => {
    if ((node.type === 'link' || node.type === 'image' || node.type === 'definition') && !EXTERNAL.test(node.url))
      links.push({ url: node.url, line: node.position?.start.line ?? 0 });
    if ('children' in node) for (const child of node.children) visit(child);
  };
  visit(fromMarkdown(markdown));
  return links;
}

/** The anchors a page's headings make on GitHub, in order. */
export function anchorsOf(markdown: string): string[] {
  const slugger = new GithubSlugger();
  const anchors: string[] = [];
  const visit = (node: Nodes) => {
    if (node.type === 'heading') anchors.push(slugger.slug(textOf(node)));
    else if ('children' in node) for (const child of node.children) visit(child);
  };
  visit(fromMarkdown(markdown));
  return anchors;
}

/** A heading's text as GitHub renders it: code spans and link texts kept, markup and HTML tags dropped. */
function textOf(node: Nodes): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value;
  if ('children' in node) return node.children.map(textOf).join('');
  return '';
}

/**
 * Every link of `file` (repository-relative) that points at no file, or at
 * a heading its Markdown target does not have, as `file:line: message`.
 * An anchor into a file that is not Markdown (a line of a script) is not
 * checked: GitHub makes those from the file's lines, not its headings.
 */
export function brokenLinks(file: string, markdown: string, repo: Repository): string[] {
  const problems: string[] = [];
  // A page links to the same few pages many times: each is parsed once.
  const anchorsByTarget = new Map<string, string[]>();
  // The key '' is this page, as written (a link that is only an anchor).
  const anchorsIn = (target: string) => {
    if (!anchorsByTarget.has(target))
      anchorsByTarget.set(target, anchorsOf(target === '' ? markdown : repo.read(target)));
    return anchorsByTarget.get(target)!;
  };
  for (const { url, line } of linksOf(markdown)) {
    const hash = url.indexOf('#');
    const path = decodeURI(hash === -1 ? url : url.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(url.slice(hash + 1));
    if (path.startsWith('/')) {
      problems.push(`${file}:${line}: ${url}: an absolute path, which GitHub resolves against its own site`);
      continue;
    }
    const target = path === '' ? file : posix.normalize(posix.join(posix.dirname(file), path)).replace(/\/$/, '');
    if (path !== '' && (target.startsWith('../') || !repo.exists(target))) {
      problems.push(`${file}:${line}: ${url}: no file ${target} in the repository`);
      continue;
    }
    if (anchor === undefined || !target.endsWith('.md')) continue;
    if (!anchorsIn(path === '' ? '' : target).includes(anchor))
      problems.push(`${file}:${line}: ${url}: ${target} has no heading whose anchor is #${anchor}`);
  }
  return problems;
}

/** The lines of a text: a last line's newline ends it, it does not start another. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n');
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}
