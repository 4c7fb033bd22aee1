import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDoc } from './doc-commands';
import { readerPages, ROOT } from './pages';

/**
 * A chapter a learner can walk (issue 23): about as long as a page of
 * Docker's own workshop, a handful of commands, and an end that says what
 * was learnt and asks for it once. Every chapter, docs/NN-*.md, a new one
 * included.
 */
const CHAPTERS = readerPages().filter((page) => /^docs\/\d\d-[^/]+\.md$/.test(page));
const MAX_WORDS = 1600;
const MAX_COMMANDS = 20;

/** Words as `wc -w` counts them: runs of anything but whitespace, code included. */
const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe.each(CHAPTERS)('%s', (file) => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const commands = parseDoc(file, text);

  it(`holds at most ${MAX_WORDS} words`, () => {
    expect(wordCount(text)).toBeLessThanOrEqual(MAX_WORDS);
  });

  it(`shows at most ${MAX_COMMANDS} commands, its exercise and its clean-up included`, () => {
    expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS);
  });

  it('ends with a recap and an exercise whose answer the docs runner runs', () => {
    const lines = text.split('\n');
    const recap = lines.indexOf('## Recap');
    const exercise = lines.findIndex((line, index) => index > recap && line.startsWith('**Exercise.**'));
    // A line number in a command is 1-based, the index above 0-based.
    const answered = commands.filter((c) => c.line > exercise + 1 && !c.skipReason && !c.teardown);

    expect(recap).toBeGreaterThan(0);
    expect(exercise).toBeGreaterThan(recap);
    expect(answered.length).toBeGreaterThan(0);
  });
});
