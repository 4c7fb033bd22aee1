/**
 * Takes down whatever the test harnesses may have left running after a run
 * that was killed: every project in projects.ts with its volumes, the named
 * containers, the networks and volumes the docs make by hand (DOCS_LABEL),
 * the unit specs' PostgreSQL (testcontainers' reaper is off
 * here: its image is on a registry), the one-node swarm spec's stack,
 * leaving the swarm if that spec initialised it (swarm.ts), and the nodes of
 * test/swarm/three-nodes/ with their engines' volumes and their network.
 * Quiet, and fine when nothing is there.
 *
 *   node test/support/clean-up.mts
 */
import { quietly } from './docker.ts';
import { CLUSTER, DOCS_LABEL, NAMED_CONTAINERS, PROJECTS, TESTCONTAINERS_LABEL } from './projects.ts';
import { removeSwarmStack } from './swarm.ts';

for (const project of new Set(Object.values(PROJECTS))) {
  await quietly(['compose', '-p', project, 'down', '--volumes', '--remove-orphans', '--timeout', '5']);
  // `down` knows only compose.yaml's volumes; an overlay's (backups, pgbackrest, prometheus) carry the project's label.
  const volumes = (
    await quietly(['volume', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project}`])
  )
    .split('\n')
    .filter(Boolean);
  if (volumes.length > 0) await quietly(['volume', 'rm', '--force', ...volumes]);
}
await quietly(['rm', '--force', '--volumes', ...NAMED_CONTAINERS]);
for (const kind of ['network', 'volume']) {
  const made = (await quietly([kind, 'ls', '--quiet', '--filter', `label=${DOCS_LABEL}`])).split('\n').filter(Boolean);
  if (made.length > 0) await quietly([kind, 'rm', ...made]);
}
const leftovers = (await quietly(['ps', '--all', '--quiet', '--filter', `label=${TESTCONTAINERS_LABEL}`]))
  .split('\n')
  .filter(Boolean);
if (leftovers.length > 0) await quietly(['rm', '--force', '--volumes', ...leftovers]);
await removeSwarmStack().catch(() => undefined);
const nodes = (await quietly(['ps', '--all', '--quiet', '--filter', `label=${CLUSTER.label}`]))
  .split('\n')
  .filter(Boolean);
if (nodes.length > 0) await quietly(['rm', '--force', '--volumes', ...nodes]);
const networks = (await quietly(['network', 'ls', '--quiet', '--filter', `label=${CLUSTER.label}`]))
  .split('\n')
  .filter(Boolean);
if (networks.length > 0) await quietly(['network', 'rm', ...networks]);
