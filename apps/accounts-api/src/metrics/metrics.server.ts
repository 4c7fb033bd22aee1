import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { metricsConfig, type MetricsConfig } from '../config/metrics.config';
import { Metrics } from './metrics';
import { PrometheusMetrics } from './prometheus.metrics';

export const METRICS_PATH = '/metrics';

/**
 * The metrics' own HTTP listener, on METRICS_PORT: a port the proxy never
 * forwards to and compose.yaml never publishes, so only containers on the
 * backend network (Prometheus, later) can scrape it. Plain node:http, not
 * the Nest app: no guard, no access log line per scrape, and nothing of the
 * api's routes can answer here.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, metrics } = this;
    if (!config.enabled || !(metrics instanceof PrometheusMetrics)) return;
    const server = createServer((req, res) => void this.answer(metrics, req, res));
    server.listen(config.port, '0.0.0.0');
    await once(server, 'listening');
    this.server = server;
    this.logger.log(`Prometheus metrics on port ${this.port}, path ${METRICS_PATH}`);
  }

  /** The port listened on (METRICS_PORT=0 picks one), or undefined when metrics are off. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = once(server, 'close');
    server.close();
    await closed;
  }

  private async answer(metrics: PrometheusMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`Only ${METRICS_PATH} is served here\n`);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
    } else {
      try {
        const body = await metrics.exposition();
        res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body);
      } catch (error) {
        this.logger.error(`Collecting the metrics failed: ${error instanceof Error ? error.message : String(error)}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end();
      }
    }
  }
}
