// @ts-check
/**
 * jest-circus, except that in a mutant run that has already failed a test
 * (see jest-environment.cjs) a spec file is not even loaded: loading one
 * costs half a second (NestJS, Kysely and pg are evaluated again for each
 * file), and its tests would all be skipped. Its name says jest-circus
 * because Stryker's perTest coverage requires a circus runner.
 */
const circus = require('jest-circus/runner').default;

/** @type {typeof circus} */
module.exports = async function jestCircusBail(
  globalConfig,
  config,
  environment,
  runtime,
  testPath,
  sendMessageToJest,
) {
  const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
  if (mutant === undefined || process.env.__MUTATION_RUN_KILLED__ !== mutant) {
    return circus(globalConfig, config, environment, runtime, testPath, sendMessageToJest);
  }
  // One skipped test (jest refuses a file with none): jest counts the file as skipped.
  const title = 'not loaded: an earlier test killed the mutant';
  return {
    leaks: false,
    numFailingTests: 0,
    numPassingTests: 0,
    numPendingTests: 1,
    numTodoTests: 0,
    openHandles: [],
    perfStats: {
      end: 0,
      loadTestEnvironmentEnd: 0,
      loadTestEnvironmentStart: 0,
      runtime: 0,
      setupAfterEnvEnd: 0,
      setupAfterEnvStart: 0,
      setupFilesEnd: 0,
      setupFilesStart: 0,
      slow: false,
      start: 0,
    },
    skipped: true,
    snapshot: { added: 0, fileDeleted: false, matched: 0, unchecked: 0, uncheckedKeys: [], unmatched: 0, updated: 0 },
    testFilePath: testPath,
    testResults: [
      {
        ancestorTitles: [],
        duration: 0,
        failureDetails: [],
        failureMessages: [],
        fullName: title,
        numPassingAsserts: 0,
        status: 'pending',
        title,
      },
    ],
  };
};
