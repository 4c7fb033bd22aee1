import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser.ts';
import { sleep, timedFetch } from '../support/load.ts';
import { docker, eventually, inspect, REPO_ROOT, STACK_STORE, useStack, waitHealthy, type Stack } from './stack';

/**
 * compose.monitoring.yaml on the stack, with three api replicas: Prometheus
 * finds each by Docker's DNS and counts what the spec sends through the
 * proxy, and an alert reaches a webhook the spec owns through Alertmanager,
 * then resolves.
 *
 * The rules are the shipped ones, with their real `for:` durations (the
 * replica alert waits a minute). Only the intervals are shorter: the spec
 * runs copies of prometheus.yml and alertmanager.yml that scrape and
 * evaluate every 3 s and notify at once (fixtures/compose.monitoring-test.yaml),
 * made here from the shipped files by replacing exactly those settings, so
 * that every other line is what an operator runs.
 */

const MONITORING_DIR = join(REPO_ROOT, 'docker/monitoring');
/** Where the graph's screenshot is kept after the run (git ignores it). */
const ARTEFACTS_DIR = join(REPO_ROOT, 'test-results');
/**
 * Scrapes and evaluations in the spec. The timeout is the whole interval: with
 * PostgreSQL stopped, the exporter takes about 2 s to give up on the name
 * `postgres` and answer pg_up 0 (the shipped timeout is 5 s).
 */
const SCRAPE_S = 3;

/** `text` with every `from` replaced by `to`; each must be there, or the shipped file changed under the spec. */
function withSettings(text: string, changes: readonly (readonly [string, string])[]): string {
  return changes.reduce((out, [from, to]) => {
    if (!out.includes(from)) throw new Error(`expected "${from}" in the shipped configuration`);
    return out.replaceAll(from, to);
  }, text);
}

const testDir = mkdtempSync(join(tmpdir(), 'accounts-monitoring-'));
// Read inside the containers by uid 9090 (bind mounts keep the mode).
const writePublic = (name: string, text: string) => writeFileSync(join(testDir, name), text, { mode: 0o644 });
writePublic(
  'prometheus.yml',
  withSettings(readFileSync(join(MONITORING_DIR, 'prometheus.yml'), 'utf8'), [
    ['scrape_interval: 15s', `scrape_interval: ${SCRAPE_S}s`],
    ['scrape_timeout: 5s', `scrape_timeout: ${SCRAPE_S}s`],
    ['evaluation_interval: 15s', `evaluation_interval: ${SCRAPE_S}s`],
    ['refresh_interval: 10s', `refresh_interval: ${SCRAPE_S}s`],
  ]),
);
writePublic(
  'alertmanager.yml',
  withSettings(readFileSync(join(MONITORING_DIR, 'alertmanager.yml'), 'utf8'), [
    ['group_wait: 30s', 'group_wait: 1s'],
    ['group_interval: 5m', 'group_interval: 2s'],
  ]),
);
writePublic('webhook-url', 'http://webhook:8080/alerts\n');

const stack = useStack({
  env: {
    // One client address sends all of the load.
    PROXY_RATE_LIMIT: 'off',
    PROMETHEUS_PORT: '0',
    ALERTMANAGER_PORT: '0',
    ALERTMANAGER_WEBHOOK_URL_FILE: join(testDir, 'webhook-url'),
    MONITORING_TEST_DIR: testDir,
  },
  overrides: [
    'compose.monitoring.yaml',
    ...(STACK_STORE === 'postgres' ? ['compose.monitoring.postgres.yaml'] : []),
    'test/stack/fixtures/compose.monitoring-test.yaml',
  ],
});

afterAll(() => rmSync(testDir, { recursive: true, force: true }));

async function publishedUrl(s: Stack, service: string, port: number): Promise<string> {
  const published = (await s.composeCli(['port', service, String(port)])).trim();
  return `http://127.0.0.1:${published.split(':').at(-1)}`;
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query through Prometheus's HTTP API, at `time` (seconds) if given. */
async function query(s: Stack, promql: string, time?: number): Promise<Sample[]> {
  const url = new URL('/api/v1/query', await publishedUrl(s, 'prometheus', 9090));
  url.searchParams.set('query', promql);
  if (time !== undefined) url.searchParams.set('time', String(time));
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}

const scalar = async (s: Stack, promql: string, time?: number) => {
  const result = await query(s, promql, time);
  return result.length === 0 ? undefined : Number(result[0].value[1]);
};

/** The address of each api replica on the backend network, as Prometheus names its target (`IP:9464`). */
async function replicaTargets(s: Stack): Promise<Map<string, string>> {
  const names = (await s.composeCli(['ps', '--format', '{{.Name}}', 'api'])).trim().split('\n');
  const targets = new Map<string, string>();
  for (const name of names) {
    const container = await inspect('container', name);
    const backend = Object.entries(container.NetworkSettings.Networks as Record<string, { IPAddress: string }>).find(
      ([network]) => network.endsWith('_backend'),
    )!;
    targets.set(name, `${backend[1].IPAddress}:9464`);
  }
  return targets;
}

interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
}

/** Every alert the webhook has been sent, in the order its messages came. */
async function webhookAlerts(s: Stack): Promise<WebhookAlert[]> {
  const log = await s.composeCli(['logs', '--no-log-prefix', 'webhook']);
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => (JSON.parse(line) as { body: { alerts: WebhookAlert[] } }).body.alerts);
}

/** Waits for the webhook to be sent `alertname` with `status`, and the labels given; fails after `timeoutMs`. */
async function webhookSees(
  s: Stack,
  alertname: string,
  status: WebhookAlert['status'],
  labels: Record<string, string>,
  timeoutMs: number,
): Promise<WebhookAlert> {
  const matches = (alert: WebhookAlert) =>
    alert.status === status &&
    alert.labels.alertname === alertname &&
    Object.entries(labels).every(([name, value]) => alert.labels[name] === value);
  const seen = await eventually(async () => (await webhookAlerts(s)).find(matches), timeoutMs, 1_000);
  if (!seen) {
    throw new Error(
      `the webhook was not sent ${alertname} ${status} ${JSON.stringify(labels)} within ${timeoutMs} ms; it got ${JSON.stringify(await webhookAlerts(s))}`,
    );
  }
  return seen;
}

describe('Prometheus and Alertmanager (compose.monitoring.yaml)', () => {
  it('publish their ports on 127.0.0.1 only, and nginx serves its numbers on no public server', async () => {
    for (const [service, port] of [
      ['prometheus', '9090/tcp'],
      ['alertmanager', '9093/tcp'],
    ] as const) {
      const container = await inspect('container', stack().compose.getContainer(`${service}-1`).getId());
      const bindings = container.HostConfig.PortBindings as Record<string, { HostIp: string }[]>;
      expect({ service, ports: Object.keys(bindings), hosts: bindings[port].map((b) => b.HostIp) }).toEqual({
        service,
        ports: [port],
        hosts: ['127.0.0.1'],
      });
    }
    for (const path of ['/stub_status', '/metrics']) {
      const res = await fetch(`${stack().baseUrl}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('finds every api replica by Docker DNS, and counts what was sent through the proxy', async () => {
    const targets = await replicaTargets(stack());
    expect(targets.size).toBe(3);
    const up = await eventually(async () => {
      const result = await query(stack(), 'up{job="api"} == 1');
      return result.length === 3 ? result.map((r) => r.metric.instance).sort() : undefined;
    }, 30_000);
    expect(up).toEqual([...targets.values()].sort());

    // Paced load: 40 requests a second for 20 s, on a route nothing else calls.
    const perSecond = 40;
    const seconds = 20;
    const sentAt: number[] = [];
    const started = Date.now();
    for (let i = 0; i < perSecond * seconds; i++) {
      const due = started + (i * 1_000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const outcome = await timedFetch(`${stack().baseUrl}/accounts`, { headers: stack().headers });
      expect(outcome.status).toBe(200);
      sentAt.push(outcome.endedAt);
    }
    // Two scrapes after the last request, so that every replica's count is in.
    await sleep(3 * SCRAPE_S * 1_000);

    const series = 'accounts_api_http_requests_total{job="api",method="GET",route="/accounts",status_class="2xx"}';
    // Each request counted once, by the replica that answered it; all three answered some.
    expect(await scalar(stack(), `sum(${series})`)).toBe(sentAt.length);
    const perReplica = await query(stack(), series);
    expect(perReplica.map((r) => r.metric.instance).sort()).toEqual([...targets.values()].sort());
    for (const sample of perReplica) expect(Number(sample.value[1])).toBeGreaterThan(0);

    // The rate Prometheus computes over 12 s inside the load (4 to 16 s), against what was sent then.
    const window = 12;
    const at = (started + 16_000) / 1_000;
    const sentRate = sentAt.filter((t) => t > (at - window) * 1_000 && t <= at * 1_000).length / window;
    const apiRate = await scalar(stack(), `sum(rate(${series}[${window}s]))`, at);
    expect(apiRate).toBeGreaterThan(sentRate * 0.8);
    expect(apiRate).toBeLessThan(sentRate * 1.2);
    // nginx counts the same requests, and a few of its own: the scrapes of stub_status.
    const nginxRate = await scalar(stack(), `sum(rate(nginx_http_requests_total{job="nginx"}[${window}s]))`, at);
    expect(nginxRate).toBeGreaterThan(sentRate * 0.8);
    expect(nginxRate).toBeLessThan(sentRate * 1.2 + 2);
  }, 120_000);

  it("draws each replica's request rate in Prometheus's web UI, in a headless browser, and saves a screenshot", async () => {
    const targets = [...(await replicaTargets(stack())).values()].sort();
    const url = new URL('/classic/graph', await publishedUrl(stack(), 'prometheus', 9090));
    url.searchParams.set('g0.expr', 'sum by (instance) (rate(accounts_api_http_requests_total{job="api"}[1m]))');
    url.searchParams.set('g0.tab', '0');
    url.searchParams.set('g0.range_input', '5m');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const failed: string[] = [];
      page.on('requestfailed', (request) => failed.push(request.url()));
      // Debian's libjs-popper.js is an ES module, which the classic page loads
      // as a plain script: its menus do not open, and the graph does not need it.
      page.on('pageerror', (error) => {
        if (!/Unexpected token 'export'/.test(error.message)) failed.push(error.message);
      });
      await page.goto(url.href);
      // Rickshaw draws one path per series, and the legend names each.
      await page
        .locator('.graph_area svg path.path')
        .nth(targets.length - 1)
        .waitFor({ timeout: 15_000 });
      const legend = await page.locator('.legend .label').allTextContents();
      expect(legend.sort()).toEqual(targets.map((target) => `{instance="${target}"}`));
      expect(await page.locator('.graph_area svg path.path').count()).toBe(targets.length);
      expect(await page.getByText('No datapoints found.').isVisible()).toBe(false);
      mkdirSync(ARTEFACTS_DIR, { recursive: true });
      await page.screenshot({ path: join(ARTEFACTS_DIR, `prometheus-graph-${STACK_STORE}.png`), fullPage: true });
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('scrapes the proxy, the nginx exporter and, on PostgreSQL, the PostgreSQL exporter', async () => {
    const jobs = ['proxy', 'nginx', 'prometheus', 'alertmanager', ...(STACK_STORE === 'postgres' ? ['postgres'] : [])];
    for (const job of jobs) {
      expect({ job, up: await scalar(stack(), `up{job="${job}"}`) }).toEqual({ job, up: 1 });
    }
    expect(await scalar(stack(), 'nginx_up')).toBe(1);
    expect(await scalar(stack(), 'sum(accounts_proxy_upstream_errors_total)')).toBe(0);
    if (STACK_STORE === 'postgres') {
      expect(await scalar(stack(), 'pg_up')).toBe(1);
    } else {
      expect(await query(stack(), 'up{job="postgres"}')).toEqual([]);
    }
    // No rule failed to evaluate.
    const rules = (await (
      await fetch(new URL('/api/v1/rules', await publishedUrl(stack(), 'prometheus', 9090)))
    ).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    // (`unknown` is a rule not evaluated yet: the budget's group runs every 5 minutes.)
    const failing = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    expect(failing).toEqual([]);
    expect(rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'ok').length).toBeGreaterThan(20);
  });

  it('sends AccountsApiReplicaDown through Alertmanager to the webhook when a replica stops answering, and resolves it after', async () => {
    const targets = await replicaTargets(stack());
    const [frozen, instance] = [...targets.entries()][0];
    const alertmanager = await publishedUrl(stack(), 'alertmanager', 9093);
    const postgres = STACK_STORE === 'postgres';

    // Frozen, the container keeps its address in Docker's DNS, and so its
    // target, but answers nothing: what a hung replica looks like. (A
    // stopped one leaves the DNS answer, and the targets; the next test.)
    // PostgreSQL stopped by the engine, not by Compose, which would stop the
    // services that depend on it too (the exporter among them).
    const postgresId = postgres ? stack().compose.getContainer('postgres-1').getId() : '';
    await docker(['pause', frozen]);
    if (postgres) await docker(['stop', postgresId]);
    try {
      await webhookSees(stack(), 'AccountsApiReplicaDown', 'firing', { instance, severity: 'ticket' }, 150_000);
      const active = (await (
        await fetch(`${alertmanager}/api/v2/alerts?filter=alertname%3D%22AccountsApiReplicaDown%22`)
      ).json()) as { labels: Record<string, string>; status: { state: string } }[];
      expect(active.map((a) => [a.labels.instance, a.status.state])).toEqual([[instance, 'active']]);
      if (postgres) await webhookSees(stack(), 'AccountsPostgresDown', 'firing', { severity: 'page' }, 60_000);
      // The other two replicas answer: the api is not down.
      expect((await webhookAlerts(stack())).filter((a) => a.labels.alertname === 'AccountsApiDown')).toEqual([]);
    } finally {
      await docker(['unpause', frozen]);
      if (postgres) await docker(['start', postgresId]);
    }
    await webhookSees(stack(), 'AccountsApiReplicaDown', 'resolved', { instance }, 60_000);
    if (postgres) await webhookSees(stack(), 'AccountsPostgresDown', 'resolved', {}, 90_000);
    // Its healthcheck failed while it was frozen (and every replica's while
    // PostgreSQL was down); each passes again.
    for (const replica of targets.keys()) await waitHealthy(replica, 60_000);
  }, 360_000);

  it('follows a replica that stops, and one that is added, with no edit', async () => {
    const instances = async () => (await query(stack(), 'up{job="api"}')).map((r) => r.metric.instance).sort();
    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=4', 'api']);
    const four = [...(await replicaTargets(stack())).values()].sort();
    expect(four).toHaveLength(4);
    expect(await eventually(async () => ((await instances()).join() === four.join() ? true : undefined), 20_000)).toBe(
      true,
    );

    await stack().composeCli(['up', '--detach', '--wait', '--no-recreate', '--scale', 'api=2', 'api']);
    const two = [...(await replicaTargets(stack())).values()].sort();
    expect(two).toHaveLength(2);
    expect(await eventually(async () => ((await instances()).join() === two.join() ? true : undefined), 20_000)).toBe(
      true,
    );
  }, 180_000);
});
