import { clientFor } from '../support/http.ts';
import { docker, inspect, useStack } from './stack';

/** compose.yaml's METRICS_PORT: the api's Prometheus listener. */
const METRICS_PORT = '9464';

const stack = useStack();

describe("the api's Prometheus metrics", () => {
  const apiId = () => stack().compose.getContainer('api-1').getId();

  /**
   * `GET http://api:9464/metrics` from a one-shot container of the api's own
   * image on the backend network, as Prometheus will scrape it: by service name.
   */
  async function scrapeFromBackend(): Promise<string> {
    const api = await inspect('container', apiId());
    const backend = Object.keys(api.NetworkSettings.Networks).find((name) => name.endsWith('_backend'));
    expect(backend).toBeDefined();
    const script =
      `fetch('http://api:${METRICS_PORT}/metrics')` +
      `.then(async (r) => { if (!r.ok) throw new Error('status ' + r.status); process.stdout.write(await r.text()); })` +
      `.catch((e) => { console.error(e.message); process.exit(1); })`;
    return docker(['run', '--rm', '--network', backend!, '--read-only', '--cap-drop', 'ALL', api.Image, '-e', script]);
  }

  it('are refused through the published proxy port', async () => {
    for (const path of ['/metrics', `/metrics?x=1`, '/metrics/']) {
      const res = await fetch(`${stack().baseUrl}${path}`);
      const body = await res.text();

      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(body).not.toContain('# TYPE');
    }
  });

  it('are on a port the api container exposes and nothing publishes', async () => {
    const api = await inspect('container', apiId());
    const proxy = await inspect('container', stack().compose.getContainer('proxy-1').getId());

    // Compose hands the engine `expose` as written, "9464", with no "/tcp".
    const exposed = Object.keys(api.Config.ExposedPorts ?? {}).map((port) => port.replace(/\/tcp$/, ''));
    expect(exposed).toContain(METRICS_PORT);
    for (const port of [METRICS_PORT, `${METRICS_PORT}/tcp`]) {
      expect({ port, bindings: api.NetworkSettings.Ports?.[port] ?? null }).toEqual({ port, bindings: null });
    }
    expect(api.HostConfig.PortBindings ?? {}).toEqual({});
    const proxyPublished = Object.keys(proxy.HostConfig.PortBindings ?? {}).map((port) => port.replace(/\/tcp$/, ''));
    expect(proxyPublished).not.toContain(METRICS_PORT);
    expect((await stack().composeCli(['port', 'api', METRICS_PORT], { quiet: true })).trim()).toBe('');
  });

  it('answer by service name on the backend network, and count what came through the proxy', async () => {
    const series = 'accounts_api_http_requests_total{method="POST",route="/",status_class="2xx"}';
    const count = (text: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.split(' ')[1] ?? 0,
      );
    const before = count(await scrapeFromBackend());
    for (let i = 0; i < 5; i += 1) {
      const { response } = await clientFor({ baseUrl: stack().baseUrl, headers: {} }).POST('/');
      expect(response.status).toBe(200);
    }

    const text = await scrapeFromBackend();

    expect(count(text) - before).toBe(5);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE accounts_api_http_request_duration_seconds histogram');
  });
});
