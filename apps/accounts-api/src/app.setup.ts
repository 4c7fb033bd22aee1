import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { answerClientErrors } from './common/http/client-error';
import { accessLog } from './common/logging/access-log';
import { ROOT_LOGGER } from './common/logging/logger';
import { DrainService } from './health/drain.service';
import { httpMetrics } from './metrics/http-metrics';
import { Metrics } from './metrics/metrics';
import { setupOpenApi } from './openapi/openapi';

/**
 * Nest's default body parsers include a urlencoded one that no route reads,
 * and both would parse bodies before any guard runs; JsonBodyGuard parses
 * JSON instead, once the caller is known.
 */
export const APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/** What the HTTP app needs beyond the module graph; main.ts and the e2e specs both call it. */
export function configureApp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  // ETags are set per resource from its version; Express's body hashes would contradict them.
  app.set('etag', false);
  // Only the proxy reaches the api, over a private Docker network.
  app.set('trust proxy', 'loopback, uniquelocal');
  // First, so that every answer (a body parser's refusals included) has an id and a line.
  app.use(accessLog(app.get(ROOT_LOGGER), '/health'));
  const metrics = app.get(Metrics);
  if (metrics.enabled) app.use(httpMetrics(metrics));
  // While draining, every answer closes its connection: the proxy then holds
  // no idle connection to this replica when the server closes.
  const drain = app.get(DrainService);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (drain.closesConnection()) res.setHeader('Connection', 'close');
    next();
  });
  answerClientErrors(app.getHttpServer());
  setupOpenApi(app);
}
