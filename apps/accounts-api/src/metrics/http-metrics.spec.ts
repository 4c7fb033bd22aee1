import express from 'express';
import request from 'supertest';
import { RecordingMetrics } from '../../test/support/metrics';
import { httpMetrics, methodLabel, OTHER_METHOD, routeLabel, statusClass, UNMATCHED_ROUTE } from './http-metrics';
import { PrometheusMetrics } from './prometheus.metrics';

describe('request labels', () => {
  it('names a request by the template of the route that took it, never by its URL', () => {
    expect(routeLabel({ route: { path: '/accounts/:id' } } as never)).toBe('/accounts/:id');
    expect(routeLabel({} as never)).toBe(UNMATCHED_ROUTE);
    // Express routes may be regular expressions; their source is no template.
    expect(routeLabel({ route: { path: /^\/x/ } } as never)).toBe(UNMATCHED_ROUTE);
  });

  it('keeps the methods routes serve, and names any other one OTHER', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      expect(methodLabel(method)).toBe(method);
    }
    expect(methodLabel('PROPFIND')).toBe(OTHER_METHOD);
    expect(methodLabel('get')).toBe(OTHER_METHOD);
    expect(methodLabel(undefined)).toBe(OTHER_METHOD);
  });

  it('names the status by its class, and an answer the client did not wait for aborted', () => {
    expect([100, 199, 200, 204, 304, 399, 400, 404, 429, 500, 503, 599].map((s) => statusClass(s, true))).toEqual([
      '1xx',
      '1xx',
      '2xx',
      '2xx',
      '3xx',
      '3xx',
      '4xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      '5xx',
    ]);
    expect(statusClass(0, true)).toBe('other');
    expect(statusClass(600, true)).toBe('other');
    expect(statusClass(99, true)).toBe('other');
    expect(statusClass(200, false)).toBe('aborted');
  });
});

describe('httpMetrics', () => {
  /** An Express app with one parameterised route, as Nest registers them, measured by the middleware. */
  const appWith = (metrics: RecordingMetrics | PrometheusMetrics) => {
    const app = express();
    app.use(httpMetrics(metrics));
    app.get('/accounts/:id', (req, res) => {
      res.status(req.params.id === '404' ? 404 : 200).json({ id: req.params.id });
    });
    return app;
  };

  it('reports the method, route template, status class and seconds of each request once it is done', async () => {
    const metrics = new RecordingMetrics();
    const app = appWith(metrics);

    await request(app).get('/accounts/7').expect(200);
    await request(app).get('/accounts/404').expect(404);
    await request(app).get('/no/such/thing?x=1').expect(404);

    const reported = metrics.of('request');
    expect(reported.map(([method, route, status]) => [method, route, status])).toEqual([
      ['GET', '/accounts/:id', '2xx'],
      ['GET', '/accounts/:id', '4xx'],
      ['GET', UNMATCHED_ROUTE, '4xx'],
    ]);
    for (const [, , , seconds] of reported) {
      expect(seconds as number).toBeGreaterThanOrEqual(0);
      expect(seconds as number).toBeLessThan(5);
    }
  });

  it('keeps the number of series fixed whatever URLs and methods clients send', async () => {
    const metrics = new PrometheusMetrics();
    const app = appWith(metrics);
    const random = () => Math.random().toString(36).slice(2);
    const seriesOf = async () => {
      const text = await metrics.exposition();
      return text.split('\n').filter((line) => line.startsWith('accounts_api_http_request')).length;
    };

    const round = async (query = '') => {
      await request(app).get(`/accounts/${random()}`);
      await request(app).get(`/${random()}/${random()}${query}`);
      await request(app).post(`/accounts/${random()}`);
      await request(app).delete(`/${random()}`);
    };
    for (let i = 0; i < 20; i += 1) await round();
    const after20 = await seriesOf();
    for (let i = 0; i < 200; i += 1) await round(`?${random()}=1`);

    expect(await seriesOf()).toBe(after20);
    const text = await metrics.exposition();
    const requests = (method: string, route: string, status: string) =>
      `accounts_api_http_requests_total{method="${method}",route="${route}",status_class="${status}"} 220`;
    expect(text).toContain(requests('GET', '/accounts/:id', '2xx'));
    expect(text).toContain(requests('GET', UNMATCHED_ROUTE, '4xx'));
    expect(text).toContain(requests('POST', UNMATCHED_ROUTE, '4xx'));
    expect(text).toContain(requests('DELETE', UNMATCHED_ROUTE, '4xx'));
    expect(text).toContain('accounts_api_http_request_duration_seconds_count{method="GET",route="/accounts/:id"} 220');
  });
});
