import { MetricsServer } from '../src/metrics/metrics.server';
import { TestApp } from './support/app';

/** The value of one series (`name{labels}` exactly as exposed), or 0 when it has not been exposed yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('metrics (e2e)', () => {
  let t: TestApp;
  afterEach(() => t.dispose());

  const metricsUrl = () => `http://127.0.0.1:${t.app!.get(MetricsServer).port}/metrics`;
  const scrape = async () => {
    const res = await fetch(metricsUrl());
    expect(res.status).toBe(200);
    return res.text();
  };

  describe('on a port of their own', () => {
    beforeEach(async () => {
      t = new TestApp();
      await t.boot();
    });

    it('serves the text format, with Node and process metrics, on METRICS_PORT', async () => {
      const res = await fetch(metricsUrl());
      const text = await res.text();

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_heap_size_used_bytes',
        'nodejs_gc_duration_seconds',
        'accounts_api_http_request_duration_seconds',
      ]) {
        expect(text).toContain(`# TYPE ${name} `);
      }
    });

    it("reads the store's connections at each scrape: the most it opens, those in use, those waited for", async () => {
      const text = await scrape();

      expect(sample(text, 'accounts_api_store_connections_max')).toBe(1);
      expect(sample(text, 'accounts_api_store_connections_in_use')).toBe(0);
      expect(sample(text, 'accounts_api_store_connections_waiting')).toBe(0);
      expect(text).toContain('# TYPE accounts_api_store_connections_waiting gauge');
    });

    it('serves nothing else there, and the api port serves no /metrics', async () => {
      const base = metricsUrl().replace(/\/metrics$/, '');

      expect((await fetch(`${base}/accounts`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
      await t.api.get('/metrics').expect(404);
    });

    it('counts requests by method, route template and status class, and times them per route', async () => {
      const before = await scrape();
      await t.api.get('/accounts/1').expect(200);
      await t.api.get('/accounts/2').expect(200);
      await t.api.get('/accounts/999').expect(404);
      await t.api.get(`/no-such-${Math.random()}`).expect(404);
      const after = await scrape();

      const delta = (series: string) => sample(after, series) - sample(before, series);
      expect(delta('accounts_api_http_requests_total{method="GET",route="/accounts/:id",status_class="2xx"}')).toBe(2);
      expect(delta('accounts_api_http_requests_total{method="GET",route="/accounts/:id",status_class="4xx"}')).toBe(1);
      expect(delta('accounts_api_http_requests_total{method="GET",route="unmatched",status_class="4xx"}')).toBe(1);
      expect(delta('accounts_api_http_request_duration_seconds_count{method="GET",route="/accounts/:id"}')).toBe(3);
      expect(
        delta('accounts_api_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/accounts/:id"}'),
      ).toBe(3);
      expect(delta('accounts_api_domain_errors_total{code="account_not_found"}')).toBe(1);
      expect(after).not.toMatch(/route="\/accounts\/[0-9]/);
    });

    it('counts cache hits and misses, transfers and the amount moved, replays and store transactions', async () => {
      const before = await scrape();
      await t.api.get('/accounts/1').expect(200);
      await t.api.get('/accounts/1').expect(200);
      const transfer = () => t.api.post('/transfers').set('Idempotency-Key', 'm-1').send({ from: 3, to: 1, amount: 5 });
      await transfer().expect(201);
      await transfer().expect(201);
      await t.api.post('/transfers').send({ from: 1, to: 3, amount: 1_000 }).expect(409);
      const after = await scrape();

      const delta = (series: string) => sample(after, series) - sample(before, series);
      expect(delta('accounts_api_accounts_cache_lookups_total{result="miss"}')).toBe(1);
      expect(delta('accounts_api_accounts_cache_lookups_total{result="hit"}')).toBe(1);
      expect(delta('accounts_api_transfers_total')).toBe(1);
      expect(delta('accounts_api_transfers_amount_total')).toBe(5);
      expect(delta('accounts_api_idempotent_replays_total{route="POST /transfers"}')).toBe(1);
      expect(delta('accounts_api_store_transaction_duration_seconds_count{outcome="commit"}')).toBe(2);
      expect(delta('accounts_api_store_transaction_duration_seconds_count{outcome="overdraft_refused"}')).toBe(1);
    });

    it('counts authentication failures by reason, never by key', async () => {
      const reader = await t.key('read', 'reader');
      const before = await scrape();
      await t.api.get('/accounts/1').set('Authorization', '').expect(401);
      await t.api.get('/accounts/1').set('Authorization', 'Basic abc').expect(401);
      await t.api.get('/accounts/1').set('Authorization', 'Bearer not-a-key').expect(401);
      await t.api
        .post('/transfers')
        .set('Authorization', `Bearer ${reader}`)
        .send({ from: 3, to: 1, amount: 1 })
        .expect(403);
      const after = await scrape();

      const delta = (reason: string) =>
        sample(after, `accounts_api_auth_failures_total{reason="${reason}"}`) -
        sample(before, `accounts_api_auth_failures_total{reason="${reason}"}`);
      expect(delta('not_bearer')).toBe(2);
      expect(delta('malformed_key')).toBe(1);
      expect(delta('insufficient_scope')).toBe(1);
      expect(after).not.toContain('reader');
    });
  });

  it('measures nothing and listens nowhere with METRICS_PORT=off', async () => {
    t = new TestApp();
    await t.boot({ METRICS_PORT: 'off' });

    expect(t.app!.get(MetricsServer).port).toBeUndefined();
    await t.api.post('/').expect(200);
  });

  it('refuses to start with a METRICS_PORT that is no port, naming it', async () => {
    t = new TestApp();

    await expect(t.boot({ METRICS_PORT: '70000' })).rejects.toThrow(
      'METRICS_PORT="70000": METRICS_PORT must be a port (0 to 65535) or off',
    );
  });
});
