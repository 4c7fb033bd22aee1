/**
 * Unit specs: `*.spec.ts` beside the code they test, in every app and lib.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs'],
  testRegex: '\\.spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/test/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};
