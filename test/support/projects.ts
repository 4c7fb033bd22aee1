/**
 * Every compose project and container name the test harnesses create, in
 * one place, so that each harness and CI's clean-up (clean-up.mts) agree on
 * what to take down after a run that was cut short.
 */
export const PROJECTS = {
  /**
   * The stack suite's stacks (test/stack), on a free port; INTEGRATION_PROJECT names another for a second checkout.
   * Its volumes include compose.postgres.backup.yaml's repository (`pgbackrest`), and its containers the
   * `restore` runs (`<project>-restore-run-…`): `down --volumes --remove-orphans` takes both.
   */
  integration: process.env.INTEGRATION_PROJECT ?? 'accounts-stack-it',
  /** The docs runner: compose.yaml's own name, on the default port, as a reader runs it. */
  docs: 'accounts-stack',
  /** The `docker compose watch` spec's stack. */
  watch: 'accounts-stack-watch',
  /** The benchmark's stack. */
  bench: 'accounts-stack-bench',
  /** The benchmark's peers (docker/bench/compose.peers.yaml): the talk's Flask app, and a bare handler behind the stack's nginx. */
  benchPeers: 'accounts-stack-bench-peers',
  /** bench:proxy's nginx layers (docker/bench/compose.proxy-layers.yaml), each in front of the bare handler. */
  benchProxy: 'accounts-proxybench',
} as const;

/**
 * The one-node swarm spec's stack (test/swarm/one-node), deployed from compose.swarm.yaml, and
 * everything it creates outside the stack: its secrets are named
 * `<stack>_…` (docker/swarm/init-secrets.sh), its images `<stack>/…`, and
 * the marker file says that the spec initialised the swarm and must leave it.
 */
export const SWARM = {
  stack: 'accounts-swarm-it',
  imagePrefix: 'accounts-swarm-it',
  secrets: [
    'accounts-swarm-it_postgres_password',
    'accounts-swarm-it_bootstrap_admin_key',
    'accounts-swarm-it_proxy_tls_crt',
    'accounts-swarm-it_proxy_tls_key',
    'accounts-swarm-it_postgres_owner_password',
    'accounts-swarm-it_postgres_api_password',
    'accounts-swarm-it_postgres_tls_crt',
    'accounts-swarm-it_postgres_tls_key',
    'accounts-swarm-it_postgres_ca',
    'accounts-swarm-it_pgbackrest_postgres_crt',
    'accounts-swarm-it_pgbackrest_postgres_key',
    'accounts-swarm-it_pgbackrest_backup_crt',
    'accounts-swarm-it_pgbackrest_backup_key',
  ],
  volumes: ['accounts-swarm-it_pgdata', 'accounts-swarm-it_prometheus', 'accounts-swarm-it_alertmanager'],
  images: ['accounts-swarm-it/api:it', 'accounts-swarm-it/api:broken', 'accounts-swarm-it/proxy:it'],
  marker: 'accounts-swarm-it.swarm-created',
} as const;

/** The stores a stack can run on, and the compose files each adds to compose.yaml. */
export type StackStore = 'sqlite' | 'postgres';
export const STORE_OVERRIDES: Readonly<Record<StackStore, readonly string[]>> = {
  sqlite: [],
  postgres: ['compose.postgres.yaml'],
};

/** compose.yaml, then the store's override, then any others. */
export function composeFiles(store: StackStore, ...overrides: string[]): string[] {
  return ['compose.yaml', ...STORE_OVERRIDES[store], ...overrides];
}

/** Containers started by name outside compose (docs chapters 1, 3, 4 and 6), and testcontainers' own label. */
export const NAMED_CONTAINERS = [
  'accounts-api-demo',
  'talk-demo',
  'talk-demo-2',
  'docs-logs-local',
  'secrets-demo',
] as const;
/** Set on the networks and volumes the docs create by hand (chapters 2 and 3), so that clean-up finds exactly those. */
export const DOCS_LABEL = 'org.accounts-stack.docs';
export const TESTCONTAINERS_LABEL = 'org.testcontainers=true';

/**
 * The swarm of test/swarm/three-nodes/: its node containers (`<prefix>-1` the manager, then
 * the workers), their network, and the image they run. The image is built by
 * docker/offline/build-base-images.sh, which reads its default from here.
 */
export const CLUSTER = {
  nodePrefix: 'accounts-stack-cluster-node',
  network: 'accounts-stack-cluster',
  /** Set on every node container and on the network, for clean-up.mts. */
  label: 'org.accounts-stack.cluster=true',
} as const;
export const SWARM_NODE_IMAGE = process.env.SWARM_NODE_IMAGE ?? 'accounts-stack/swarm-node:trixie';
