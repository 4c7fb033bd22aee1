/**
 * e2e specs for the accounts api: the whole Nest app in-process, driven over
 * HTTP by supertest. No Docker needed.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testRegex: '\\.e2e-spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../../tsconfig.json' }] },
  testEnvironment: 'node',
};
