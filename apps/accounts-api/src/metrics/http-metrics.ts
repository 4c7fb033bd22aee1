import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { secondsSince, type Metrics } from './metrics';

/** The route label of every request no route took (404s, scanners' guesses): one series, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Node's parser accepts some thirty methods; those no route serves share one label. */
export const OTHER_METHOD = 'OTHER';
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** A request as Express leaves it: `route` is the route that answered it, if one did. */
export type RoutedRequest = IncomingMessage & { route?: { path?: unknown } };

export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : OTHER_METHOD;
}

/** The template Express matched, `/accounts/:id`, never the URL itself. */
export function routeLabel(req: RoutedRequest): string {
  const path = req.route?.path;
  return typeof path === 'string' ? path : UNMATCHED_ROUTE;
}

/** `2xx` and the like; `aborted` when the client left before the answer was sent. */
export function statusClass(status: number, finished: boolean): string {
  if (!finished) return 'aborted';
  return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other';
}

/**
 * Counts and times every request, from here to the moment its connection is
 * done with it; mounted right after the access log, so the same span.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    res.once('close', () => {
      const status = statusClass(res.statusCode, res.writableFinished);
      metrics.request(methodLabel(req.method), routeLabel(req), status, secondsSince(started));
    });
    next();
  };
}
