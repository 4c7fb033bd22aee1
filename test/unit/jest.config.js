/**
 * The unit level, one process: `*.spec.ts` beside the code they test, in
 * every app and lib, and in test/docs, for the docs runner's rules and the
 * docs' links.
 * Store specs run on SQLite and on a real PostgreSQL, started once for the
 * run from the postgres:17 image by this level's setup, beside this file.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test/docs', '<rootDir>/test/lint'],
  testRegex: '\\.spec\\.ts$',
  // e2e specs live in apps/<app>/test and have their own config.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/[^/]+/test/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/unit/postgres.global-setup.ts',
  globalTeardown: '<rootDir>/test/unit/postgres.global-teardown.ts',
  // Starting PostgreSQL and a first query on it can take a while on a busy machine.
  testTimeout: 20_000,
};
