// StrykerJS: mutation testing of the domain, rules, idempotency, store, API key, audit, ledger and backup code
// against the unit specs. Run it with `npm run test:mutation`
// (test/mutation/run.mts), which starts the one PostgreSQL the store specs use.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'test/unit/jest.config.js',
    // A mutant runs only the specs that import its file, directly or not...
    enableFindRelatedTests: true,
    config: {
      // ...of those, only the files that hold a test that reaches the mutant, nearest first...
      testSequencer: './test/mutation/jest-sequencer.cjs',
      // ...and stops at the first failing test, loading no further spec file.
      testEnvironment: './test/mutation/jest-environment.cjs',
      testRunner: './test/mutation/jest-circus-bail.cjs',
    },
  },
  // NestJS 12 ships ES modules only; jest loads them from CommonJS with this flag.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  mutate: [
    'apps/accounts-api/src/accounts/account-rules.ts',
    'apps/accounts-api/src/accounts/accounts.service.ts',
    'apps/accounts-api/src/accounts/accounts.cache.ts',
    'apps/accounts-api/src/accounts/postings.ts',
    'apps/accounts-api/src/transfers/transfer-rules.ts',
    'apps/accounts-api/src/transfers/transfers.service.ts',
    'apps/accounts-api/src/idempotency/idempotency.service.ts',
    'apps/accounts-api/src/store/store.ts',
    'apps/accounts-api/src/seed/seed-import.ts',
    'apps/accounts-api/src/seed/seed-file.ts',
    'apps/accounts-api/src/store/translate-errors.ts',
    'apps/accounts-api/src/store/connection-use.ts',
    'apps/accounts-api/src/store/sqlite/*.ts',
    'apps/accounts-api/src/store/postgres/*.ts',
    'apps/accounts-api/src/store/migrations/migrator.ts',
    'apps/accounts-api/src/auth/api-key.ts',
    'apps/accounts-api/src/auth/scope.ts',
    'apps/accounts-api/src/auth/api-keys.service.ts',
    'apps/accounts-api/src/audit/audit-trail.ts',
    'apps/accounts-api/src/audit/audit.service.ts',
    'apps/accounts-api/src/ledger/ledger-check.ts',
    'apps/accounts-api/src/backup/*.ts',
    '!**/*.spec.ts',
  ],
  // None of these is pure wiring: even sqlite.store.ts and postgres.store.ts
  // set things a spec can see (the dialect, the closed-store guard, each
  // session's timeouts, the password, the connection error listeners).
  // Left out: the schema and first migration (SQL text, run by every store
  // spec), store.factory.ts and the Nest modules and controllers (wiring,
  // covered by the e2e specs, not the unit specs).
  // Mutants no test can tell apart are excluded beside the code, each with a
  // `Stryker disable next-line <mutator>: <why>` comment.

  // Each run starts from the last one's results, committed beside the config:
  // only mutants in changed code, or covered by changed specs, are tested
  // again, so that CI tests what a change touched in a minute or two instead
  // of everything in ten. `npm run test:mutation -- --force` tests all again.
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress'],
  clearTextReporter: { allowColor: false, reportTests: false },
  // 98.3% is reached (660 mutants); the break leaves room for a few whose
  // timing flips them between timed out and survived on a busy machine.
  thresholds: { high: 98, low: 97, break: 96 },
  // A mutant's tests share the two cores with the other worker and PostgreSQL,
  // unlike in the initial run that timed them: 2.5 times that, and 5 s more.
  timeoutFactor: 2.5,
  timeoutMS: 5_000,
};
