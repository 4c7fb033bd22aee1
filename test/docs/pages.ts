import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root, from test/docs. */
export const ROOT = join(__dirname, '..', '..');

/** The pages a reader follows links through: the README, every page under docs/, the benchmark's and CONTRIBUTING.md. */
export function readerPages(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.split('\\').join('/')}`);
  return ['README.md', ...docs.sort(), 'bench/README.md', 'CONTRIBUTING.md'];
}
