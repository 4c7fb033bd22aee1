// @ts-check
/**
 * The unit specs' environment (node) for Stryker's mutant runs, with a bail:
 * once a test fails the mutant is killed, so the run's remaining tests are
 * skipped, and jest-circus-bail.cjs skips its remaining spec files. Stryker
 * means to stop at the first failing test (its `disableBail` is off by
 * default) but cannot ask jest to. Outside a mutant run (Stryker's initial
 * run, which measures coverage, or plain jest) this is jest's node
 * environment, unchanged.
 */
const { TestEnvironment } = require('jest-environment-node');

/** Set by Stryker in its worker for each mutant run. */
const ACTIVE = '__STRYKER_ACTIVE_MUTANT__';
/** The mutant whose run has seen a failing test; read by jest-circus-bail.cjs. */
const KILLED = '__MUTATION_RUN_KILLED__';

class BailingEnvironment extends TestEnvironment {
  /** @param {import('jest-circus').Circus.Event} event */
  async handleTestEvent(event) {
    const mutant = process.env[ACTIVE];
    if (mutant === undefined) return;
    if (event.name === 'test_done' && event.test.errors.length > 0) {
      process.env[KILLED] = mutant;
    } else if (process.env[KILLED] === mutant) {
      // Read by jest-circus right after these events: a skipped block runs no hooks either.
      if (event.name === 'run_describe_start') event.describeBlock.mode = 'skip';
      if (event.name === 'test_start') event.test.mode = 'skip';
    }
  }
}

module.exports = BailingEnvironment;
