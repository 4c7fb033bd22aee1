/**
 * The same suite on the PostgreSQL stack (compose.yaml + compose.postgres.yaml):
 * the specs whose claims hold for any store, then postgres/, the specs of
 * that stack alone. SQLite-only claims (a full state volume, SQLite's
 * integrity check) stay in the default run.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testRegex: [
    '/(stack|state|concurrency|migrations|auth|cache)\\.int-spec\\.ts$',
    '/faults/crash\\.int-spec\\.ts$',
    '/postgres/[^/]+\\.int-spec\\.ts$',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  setupFiles: [...base.setupFiles, '<rootDir>/support/postgres-stack.ts'],
};
