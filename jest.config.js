/**
 * Unit specs: `*.spec.ts` beside the code they test, in every app and lib.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testRegex: '\\.spec\\.ts$',
  // e2e specs live in apps/<app>/test and have their own config.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/[^/]+/test/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};
