/**
 * The one-node level: compose.swarm.yaml deployed on a one-node swarm
 * of this machine's engine (initialised for the run, and left again, when the
 * engine is in none), a rolling update and a rollback under load:
 * `npm run test:swarm:one-node`.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testRegex: '\\.swarm-spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../../tsconfig.json' }] },
  // test/support/ is shared with Node-run scripts, so it is imported as `./x.ts`,
  // which TypeScript emits as `./x.js`: map that back to the source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  maxWorkers: 1,
  testTimeout: 60_000,
  verbose: true,
};
