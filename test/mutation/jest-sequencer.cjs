// @ts-check
/**
 * Which spec files a mutant run loads, and in what order. Stryker (with
 * `coverageAnalysis: 'perTest'`) runs only the tests that reach the mutant,
 * by name, with jest's --testNamePattern; jest would still load every spec
 * that imports the mutated file and skip its tests, at half a second a file
 * (NestJS, Kysely and pg are loaded again for each). This keeps only the
 * files whose top-level describe titles start one of those names, and runs
 * the spec beside the mutated file first, then those that failed last time,
 * then the quickest: with jest-environment.cjs's bail, the first failure ends
 * the run early. Outside a mutant run (Stryker's initial run, plain jest) it
 * is jest's own sequencer.
 */
const { readFileSync } = require('node:fs');
const { basename } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** The test names in Stryker's pattern: `(name 1)|(name 2)`, each escaped as a regular expression. */
function namesIn(pattern) {
  return pattern
    .slice(1, -1)
    .split(')|(')
    .map((name) => name.replace(/\\(.)/g, '$1'));
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A test whose full name matches would be in this file; undefined when the file's titles cannot be read. */
function titleMatcher(file) {
  const titles = [
    ...readFileSync(file, 'utf8').matchAll(/^(?:describe|it|test)(?:\.each\([^)]*\))?\(\s*(['"`])(.*?)\1/gm),
  ].map(
    // describe.each's %s (and the other printf placeholders) may be anything.
    ([, , title]) => escapeRegExp(title).replace(/%[sdifjop#]/g, '.*'),
  );
  return titles.length === 0 ? undefined : new RegExp(`^(?:${titles.join('|')})(?: |$)`);
}

class MutationSequencer extends Sequencer {
  /** @param {{ globalConfig: import('@jest/types').Config.GlobalConfig }} options */
  constructor(options) {
    super(options);
    this.globalConfig = options.globalConfig;
  }

  /** @param {import('@jest/test-result').Test[]} tests */
  sort(tests) {
    // Stryker's initial run, or plain jest.
    if (process.env.__STRYKER_ACTIVE_MUTANT__ === undefined) return super.sort(tests);

    // No pattern: a static mutant (one run when a module loads), which every test may see.
    const pattern = this.globalConfig.testNamePattern;
    let chosen = tests;
    if (pattern) {
      const names = namesIn(pattern);
      const selected = tests.filter((test) => {
        const matcher = titleMatcher(test.path);
        return matcher === undefined || names.some((name) => matcher.test(name));
      });
      if (selected.length > 0) chosen = selected;
    }

    // store.ts -> store.contract.spec.ts, seed-file.ts -> seed-file.spec.ts
    const mutated = (this.globalConfig.nonFlagArgs ?? []).map((file) => basename(file).replace(/[cm]?[jt]s$/, ''));
    const beside = (test) =>
      mutated.some((stem) => basename(test.path).startsWith(stem) && test.path.endsWith('.spec.ts'));
    for (const test of chosen) test.duration = this.time(test);
    return chosen.sort(
      (a, b) =>
        Number(beside(b)) - Number(beside(a)) ||
        Number(this.hasFailed(b)) - Number(this.hasFailed(a)) ||
        (a.duration ?? Infinity) - (b.duration ?? Infinity),
    );
  }
}

module.exports = MutationSequencer;
