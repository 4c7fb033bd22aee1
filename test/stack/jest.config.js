/**
 * The stack level: builds the images from source, starts the real
 * compose.yaml through the docker CLI (stack.ts) and talks to the published
 * proxy port; faults/ breaks it under load. `STACK_STORE=postgres`
 * (`npm run test:stack:postgres`) adds compose.postgres.yaml and runs the
 * specs whose claims hold for any store, then postgres/, the specs of that
 * stack alone; SQLite-only claims (a full state volume, SQLite's integrity
 * check, the backups of compose.backup.yaml) stay in the default run.
 * @type {import('jest').Config}
 */
const postgres = process.env.STACK_STORE === 'postgres';

module.exports = {
  rootDir: '.',
  testRegex: postgres
    ? [
        '/(stack|state|concurrency|migrations|auth|cache|tls|monitoring)\\.int-spec\\.ts$',
        '/faults/crash\\.int-spec\\.ts$',
        '/postgres/[^/]+\\.int-spec\\.ts$',
      ]
    : '\\.int-spec\\.ts$',
  testPathIgnorePatterns: postgres ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/postgres/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.json' }] },
  // test/support/ is shared with Node-run scripts, so it is imported as `./x.ts`,
  // which TypeScript emits as `./x.js`: map that back to the source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // stack.int-spec.ts starts a container of its own through testcontainers.
  setupFiles: ['<rootDir>/../support/testcontainers-env.ts'],
  // One stack at a time: suites share the engine, and image builds are heavy.
  maxWorkers: 1,
  testTimeout: 60_000,
  verbose: true,
};
