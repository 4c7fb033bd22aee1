/**
 * The compose-level suite: builds the images from source, starts the real
 * compose.yaml with testcontainers and talks to the published proxy port.
 * postgres/ holds specs of the PostgreSQL stack only (jest.postgres.config.js).
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testRegex: '\\.int-spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/postgres/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.json' }] },
  // test/support/ is shared with Node-run scripts, so it is imported as `./x.ts`,
  // which TypeScript emits as `./x.js`: map that back to the source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/support/testcontainers-env.ts'],
  // One stack at a time: suites share the engine, and image builds are heavy.
  maxWorkers: 1,
  testTimeout: 60_000,
  verbose: true,
};
