/**
 * compose.swarm.yaml with compose.swarm.backup.yaml on a real three-node
 * swarm (cluster.ts): where swarm places the services, the talk contract
 * through the edge node's proxy, and the transfer invariant while a worker
 * is drained and while the database's node is killed outright and the
 * database restored on another from the repository on a third. The specs
 * run in order on one cluster: each leaves it as the next expects.
 */
import { docker, eventually } from '../../support/docker.ts';
import { CLUSTER } from '../../support/projects.ts';
import { bearer, clientFor, type Api } from '../../support/http.ts';
import { describeLoad, expectExactlyOnce, storedTransfers, type StoredTransfers } from '../../support/ledger-checks.ts';
import {
  openAccount,
  settle,
  sleep,
  storeBusy,
  transferLoad,
  type Outcome,
  type TransferLoad,
} from '../../support/load.ts';
import {
  API_SERVICE,
  apiLogLines,
  BACKUP_LABEL,
  BACKUP_SERVICE,
  backupsTaken,
  createAdminKey,
  createCluster,
  DATABASE_NODE,
  destroyCluster,
  MANAGER,
  nodeLabels,
  onNode,
  POSTGRES_LABEL,
  POSTGRES_SERVICE,
  postgresSessions,
  restoreDatabase,
  runningTasks,
  timed,
  timings,
  traceRequests,
  verifyLedger,
  waitConverged,
  WORKERS,
  type Cluster,
} from './cluster.ts';

const CLIENTS = 24;
const PAIRS = 8;
/** nginx keeps an address of `api` for 2 s (docker/proxy/nginx.conf); well past that, it has seen a change. */
const DNS_REFRESH_MS = 6_000;
const [DRAINED] = WORKERS;

let cluster: Cluster;
let api: Api;
let destroyed = false;
const suiteStarted = Date.now();

beforeAll(async () => {
  cluster = await createCluster();
  api = { baseUrl: cluster.baseUrl, headers: bearer(await timed('admin key', () => createAdminKey('cluster'))) };
}, 900_000);

afterAll(async () => {
  if (!destroyed) await timed('teardown', destroyCluster);
  timings.push(['suite, from its first step', Date.now() - suiteStarted]);
  console.info(timings.map(([step, ms]) => `${step}: ${(ms / 1000).toFixed(1)} s`).join('\n'));
}, 300_000);

/** One pair of accounts and the clients that move money between them. */
interface PairLoad {
  readonly load: TransferLoad;
  readonly from: number;
  readonly to: number;
}

const OPENING = 1_000_000;

/**
 * The clients spread over PAIRS pairs of accounts, CLIENTS / PAIRS to a pair:
 * every transfer locks both of its accounts' rows, so clients of one pair
 * queue behind one another in PostgreSQL. With all 24 on one pair, the
 * slowest transfer took 2 to 3 s here with no fault at all, against the
 * api's 2 s lock_timeout (a 503 store_busy) and the client's 5 s timeout;
 * with 6 to a pair, still 1.8 to 2.2 s, and one 503 in CI during a drain.
 * With 3 to a pair, a transfer waits behind two others at most.
 */
async function pairsLoad(
  label: string,
  limits: { readonly maxAttempts: number; readonly maxDurationMs: number; readonly stop?: () => boolean },
): Promise<PairLoad[]> {
  const pairs = await Promise.all(
    Array.from({ length: PAIRS }, async (_, n) => ({
      from: await openAccount(api, `${label}-${n}-from`, OPENING),
      to: await openAccount(api, `${label}-${n}-to`, 0),
    })),
  );
  return Promise.all(
    pairs.map(async ({ from, to }) => ({
      from,
      to,
      load: await transferLoad({
        api,
        from,
        to,
        concurrency: CLIENTS / PAIRS,
        ...limits,
        maxAttempts: limits.maxAttempts / PAIRS,
      }),
    })),
  );
}

/** Loads, until `fault` resolves and nginx has seen its outcome, then retries what was left unacknowledged. */
async function underLoad(label: string, fault: () => Promise<void>): Promise<PairLoad[]> {
  let over = false;
  const [pairs] = await Promise.all([
    pairsLoad(label, { maxAttempts: 200_000, maxDurationMs: 240_000, stop: () => over }),
    (async () => {
      try {
        // Writes in flight on every replica before the fault.
        await sleep(2_000);
        await fault();
        await sleep(DNS_REFRESH_MS);
      } finally {
        over = true;
      }
    })(),
  ]);
  for (const { load, from, to } of pairs) await settle(load, api, from, to);
  return pairs;
}

/** Every attempt of every pair. */
const attemptsOf = (pairs: readonly PairLoad[]): Outcome[] => pairs.flatMap(({ load }) => load.attempts);

/** What the store holds for each pair, read through the api, and a line of figures for each. */
async function storedPairs(pairs: readonly PairLoad[]): Promise<{ stored: StoredTransfers[]; said: string }> {
  const stored: StoredTransfers[] = [];
  for (const { from, to } of pairs) stored.push(await storedTransfers(api, from, to));
  const said = pairs.map(({ load, from, to }, n) => `accounts ${from} to ${to}: ${describeLoad(load, stored[n])}`);
  return { stored, said: said.join('\n') };
}

/** Each pair's acknowledged transfers are in the store exactly once, and nothing else moved between its accounts. */
function expectPairsExactlyOnce(pairs: readonly PairLoad[], stored: readonly StoredTransfers[]): void {
  pairs.forEach(({ load }, n) => expectExactlyOnce(load, stored[n], OPENING));
}

describe('the stack on a three-node swarm', () => {
  it('runs the api replicas on at least two nodes, postgres on its labelled node, and its backups on another', async () => {
    const apiNodes = new Set((await runningTasks(API_SERVICE)).map((t) => t.node));
    const postgres = await runningTasks(POSTGRES_SERVICE);
    const backup = await runningTasks(BACKUP_SERVICE);

    expect(apiNodes.size).toBeGreaterThanOrEqual(2);
    expect(postgres.map((t) => t.node)).toEqual([DATABASE_NODE]);
    expect(backup.map((t) => t.node)).toEqual([MANAGER]);
    expect(await nodeLabels(DATABASE_NODE)).toMatchObject({ [POSTGRES_LABEL]: 'true' });
    expect(await nodeLabels(MANAGER)).toMatchObject({ [BACKUP_LABEL]: 'true' });
    for (const node of [MANAGER, DRAINED]) expect(await nodeLabels(node)).not.toHaveProperty([POSTGRES_LABEL]);
    // The first full backup, taken as soon as the database is up.
    const full = await eventually(
      async () => ((await backupsTaken()).some((b) => b.type === 'full' && !b.error) ? true : undefined),
      120_000,
      1_000,
    );
    expect(full).toBe(true);
  });

  it('keeps the talk contract through the edge node: POST / gives the seed, GET / a 405', async () => {
    const post = await clientFor({ baseUrl: cluster.baseUrl, headers: {} }).POST('/');
    expect(post.response.status).toBe(200);
    expect(post.data).toEqual([
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
      { id: 3, name: 'fred', balance: 40 },
    ]);

    const get = await fetch(`${cluster.baseUrl}/`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it(`applies every acknowledged transfer of ${CLIENTS} concurrent clients exactly once, on replicas across nodes`, async () => {
    const pairs = await pairsLoad('spread', { maxAttempts: 1_200, maxDurationMs: 60_000 });
    const { stored, said } = await storedPairs(pairs);
    console.info(`${CLIENTS} clients over ${PAIRS} pairs of accounts:\n${said}`);

    expect(attemptsOf(pairs).filter((a) => a.status !== 201)).toEqual([]);
    expectPairsExactlyOnce(pairs, stored);
    const servedBy = new Set(
      (await apiLogLines())
        .filter(({ lines }) =>
          lines.some((l) => l.req?.method === 'POST' && l.req?.url === '/transfers' && l.res?.statusCode === 201),
        )
        .map(({ node }) => node),
    );
    expect(servedBy.size).toBeGreaterThanOrEqual(2);
  });

  it('fails no request for the drain of a worker under load, and applies every write exactly once', async () => {
    expect((await runningTasks(API_SERVICE)).some((t) => t.node === DRAINED)).toBe(true);

    let pairs: PairLoad[];
    try {
      pairs = await underLoad('drain', async () => {
        await onNode(MANAGER, ['docker', 'node', 'update', '--availability', 'drain', DRAINED]);
        // As long as the database's loss below: 120 s ran out once in CI, on
        // a machine where the whole suite took 2.2 x its usual time.
        await waitConverged(180_000, (tasks) => tasks.length === 3 && tasks.every((t) => t.node !== DRAINED));
      });
    } finally {
      // The next test restores the database onto this node, failure here or not.
      await onNode(MANAGER, ['docker', 'node', 'update', '--availability', 'active', DRAINED]);
    }
    const { stored, said } = await storedPairs(pairs);
    // A drain's faults: a closed connection, a timeout, nginx's 502 or 504,
    // a 503 of nginx's own. The store's 503 busy is not one of them: the
    // three nodes share one machine's two cores and disk, and while swarm
    // starts the drained task's replacement, a transfer holding its two row
    // locks can be held up for long enough that one queued behind it passes
    // the api's 2 s lock timeout (it happened once in CI). The load retries
    // it with its key, and the check below finds every write applied once.
    const busy = attemptsOf(pairs).filter(storeBusy);
    console.info(`drain of ${DRAINED}:\n${said}\n${busy.length} answered 503 store busy, and were retried`);
    const failed = attemptsOf(pairs).filter((a) => a.status !== 201 && !storeBusy(a));
    const traced = [...failed, ...busy];
    if (traced.length > 0) {
      // Which replica each went to, and how long each hop took.
      const lines = traced.map((a) => `${a.status} ${a.error ?? ''} ${a.requestId} ${a.endedAt - a.startedAt} ms`);
      const ids = traced.flatMap((a) => (a.requestId ? [a.requestId] : []));
      console.info(`failed or busy attempts:\n${lines.join('\n')}\n${await traceRequests(ids)}`);
    }
    expect(failed.map(({ status, error, requestId }) => ({ status, error, requestId }))).toEqual([]);
    expectPairsExactlyOnce(pairs, stored);
  });

  it("loses the database's node under load, restores it on another from the repository on a third, and loses no acknowledged write", async () => {
    expect((await runningTasks(API_SERVICE)).some((t) => t.node === DATABASE_NODE)).toBe(true);
    const onto = DRAINED;
    let killedAt = 0;
    let restoredAt = 0;
    let restoreSaid = '';

    const pairs = await underLoad('kill', async () => {
      killedAt = Date.now();
      await docker(['kill', DATABASE_NODE]);
      restoreSaid = await timed('restore on another node', () => restoreDatabase(DATABASE_NODE, onto));
      restoredAt = Date.now();
      await waitConverged(180_000, (tasks) => tasks.length === 3 && tasks.every((t) => t.node !== DATABASE_NODE));
    });
    const { stored, said } = await storedPairs(pairs);
    const firstAfter = attemptsOf(pairs)
      .filter((a) => a.status === 201 && a.startedAt >= killedAt)
      .reduce((first, a) => Math.min(first, a.endedAt), Infinity);
    console.info(
      `kill of ${DATABASE_NODE}, PostgreSQL's node: ` +
        `RTO ${((firstAfter - killedAt) / 1000).toFixed(1)} s from the kill to the first transfer acknowledged again ` +
        `(the restore on ${onto}, label moved and postgres scaled, took ${((restoredAt - killedAt) / 1000).toFixed(1)} s)\n` +
        said,
    );
    if (pairs.some(({ load }) => load.pending.length > 0)) {
      console.info(`PostgreSQL's busy sessions:\n${await postgresSessions()}`);
      // A commit that waits for the synchronous stream waits on the backup service.
      // The service's stderr too: the stream's retries are said there.
      const backupLog = await onNode(MANAGER, [
        'sh',
        '-c',
        `docker service logs --raw --tail 40 ${BACKUP_SERVICE} 2>&1`,
      ]);
      console.info(`the backup service's last lines:\n${backupLog}`);
    }

    const nodes = await onNode(MANAGER, ['docker', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    expect(nodes).toContain(`${DATABASE_NODE} Down`);
    expect((await runningTasks(POSTGRES_SERVICE)).filter((t) => t.container).map((t) => t.node)).toEqual([onto]);
    // The segment being written came from the repository's node, over pgBackRest's TLS.
    expect(restoreSaid).toMatch(/restore\.sh: restoring on /);
    expect(restoreSaid).toMatch(
      /copied \d+ streamed segment\(s\) into pg_wal .*the last being written: [0-9A-F]{24}\.partial/,
    );
    expect(restoreSaid).toMatch(/restore\.sh: done\./);
    // With the stream synchronous, every acknowledged transfer is there, once (RPO 0).
    expectPairsExactlyOnce(pairs, stored);
    expect(firstAfter).toBeLessThan(Infinity);
    expect(await verifyLedger()).toMatch(/^ledger ok: /);
  });

  it('removes every node container, network and volume it made', async () => {
    const { containers, volumes, network } = cluster.resources;
    expect(volumes).toHaveLength(containers.length);

    await timed('teardown', destroyCluster);
    destroyed = true;

    const gone = async (kind: 'container' | 'volume' | 'network', name: string) =>
      docker([kind, 'inspect', name]).then(
        () => false,
        () => true,
      );
    for (const container of containers) expect(await gone('container', container)).toBe(true);
    for (const volume of volumes) expect(await gone('volume', volume)).toBe(true);
    expect(await gone('network', network)).toBe(true);
    expect((await docker(['ps', '--all', '--quiet', '--filter', `label=${CLUSTER.label}`])).trim()).toBe('');
  });
});
