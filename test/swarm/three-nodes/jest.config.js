/**
 * The three-node level: the stack on a real swarm of three Docker-in-Docker
 * nodes, built and torn down by the suite itself (cluster.ts):
 * `npm run test:swarm:three-nodes`.
 * Needs SWARM_NODE_IMAGE (docker/offline/build-base-images.sh builds it).
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '.',
  testRegex: '\\.cluster-spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../../tsconfig.json' }] },
  // test/support/ is shared with Node-run scripts, so it is imported as `./x.ts`,
  // which TypeScript emits as `./x.js`: map that back to the source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // One cluster, and the specs run in order on it.
  maxWorkers: 1,
  // A drain or a node's death, with the swarm's rescheduling and the load around it.
  testTimeout: 420_000,
  verbose: true,
};
