// @ts-check
/**
 * The architecture as rules that `npm run lint` checks (dependency-cruiser).
 * Inside apps/accounts-api/src, dependencies point inward:
 *
 *   main, app.module, cli ──► features (accounts, transfers, auth, seed, health, openapi, ledger, backup)
 *        features ──► idempotency, audit ──► store ──► common, config
 *        backup ──► ledger (each copy is checked as the ledger command checks the store)
 *        features, store, common ──► metrics/metrics.ts (the interface) ◄── metrics/ (prom-client)
 *
 * `common/` and `config/` know no feature and no store; the store knows no
 * feature; features reach each other only along the arrows below; `metrics/`
 * knows no feature and no store, and only it imports prom-client.
 */
const SRC = '^apps/accounts-api/src';
/** Specs arrange their state with any module (the seed, another feature's service). */
const SPEC = '\\.spec\\.ts$';
const FEATURES = 'accounts|transfers|auth|seed|health|openapi|idempotency|audit|ledger|backup';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'common-is-feature-free',
      severity: 'error',
      comment: 'common/ and config/ serve every feature, so they import none (nor the store).',
      // A spec may bring a feature's errors to prove the filter maps them.
      from: { path: `${SRC}/(common|config)/`, pathNot: '\\.spec\\.ts$' },
      to: { path: `${SRC}/(${FEATURES}|store|cli)/` },
    },
    {
      name: 'store-is-feature-free',
      severity: 'error',
      comment: 'The store speaks in tables and domain errors; features build on it, never the reverse.',
      from: { path: `${SRC}/store/` },
      to: { path: `${SRC}/(${FEATURES}|cli)/` },
    },
    {
      name: 'features-only-along-the-design',
      severity: 'error',
      comment:
        'A feature reaches another only for its access decorators (auth), its writes (idempotency) ' +
        'or the audit trail; ' +
        'transfers and the seed also build on the accounts rules.',
      from: { path: `${SRC}/(accounts|auth|health|openapi|idempotency|audit|ledger)/`, pathNot: SPEC },
      to: { path: `${SRC}/(${FEATURES})/`, pathNot: [`${SRC}/$1/`, `${SRC}/(idempotency|auth|audit)/`] },
    },
    {
      name: 'transfers-and-seed-build-on-accounts',
      severity: 'error',
      comment: 'Like features-only-along-the-design, with accounts allowed too.',
      from: { path: `${SRC}/(transfers|seed)/`, pathNot: SPEC },
      to: { path: `${SRC}/(${FEATURES})/`, pathNot: [`${SRC}/$1/`, `${SRC}/(idempotency|auth|audit|accounts)/`] },
    },
    {
      name: 'backup-builds-on-the-ledger-check',
      severity: 'error',
      comment: 'backup/ copies and restores the store, and checks each copy with the ledger check; no other feature.',
      from: { path: `${SRC}/backup/`, pathNot: SPEC },
      to: { path: `${SRC}/(${FEATURES})/`, pathNot: [`${SRC}/backup/`, `${SRC}/ledger/`] },
    },
    {
      name: 'metrics-is-feature-free',
      severity: 'error',
      comment: 'metrics/ is counted into by every feature and the store, so it imports none of them.',
      from: { path: `${SRC}/metrics/`, pathNot: SPEC },
      to: { path: `${SRC}/(${FEATURES}|store|cli)/` },
    },
    {
      name: 'features-count-through-the-interface',
      severity: 'error',
      comment:
        'Features, the store and common/ report to the Metrics class of metrics/metrics.ts; how it is ' +
        'recorded and served (prom-client, the listener) is wired by app.module and app.setup alone.',
      from: { path: `${SRC}/(${FEATURES}|store|common|config|cli)/`, pathNot: SPEC },
      to: { path: `${SRC}/metrics/`, pathNot: `${SRC}/metrics/metrics\\.ts$` },
    },
    {
      name: 'prom-client-only-in-metrics',
      severity: 'error',
      comment: 'One folder knows the metrics library, so that changing it changes one folder.',
      from: { path: '^(apps|libs)/', pathNot: `${SRC}/metrics/` },
      to: { path: 'node_modules/prom-client/' },
    },
    {
      name: 'app-wiring-stays-on-top',
      severity: 'error',
      comment: 'main.ts, app.module.ts, app.setup.ts and cli/ assemble the app; nothing inside imports them.',
      from: { path: `${SRC}/`, pathNot: `${SRC}/(main|app\\.module|app\\.setup|healthcheck)\\.ts$|${SRC}/cli/` },
      to: { path: `${SRC}/(main|app\\.module|app\\.setup)\\.ts$|${SRC}/cli/` },
    },
    {
      name: 'source-never-imports-tests',
      severity: 'error',
      comment: 'Specs and test support are not shipped; source that imports them breaks the image.',
      from: { path: '^(apps|libs)/[^/]+/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(\\.spec\\.ts$|^test/|^apps/[^/]+/test/)' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'libs/client runs in any Node or browser program: it imports no app and no test code.',
      from: { path: '^libs/client/src/' },
      to: { path: '^(apps|test|bench)/' },
    },
    {
      name: 'no-dev-dependencies-in-source',
      severity: 'error',
      comment: 'The image installs production dependencies only.',
      from: { path: '^(apps|libs)/[^/]+/src/', pathNot: '\\.spec\\.ts$' },
      // Type-only imports (express's types) vanish at build time.
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|reports|\\.stryker-tmp)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
  },
};
