import type { NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { json, NextFunction, Request, Response } from 'express';
import { answerClientErrors } from './common/http/client-error';
import { refuseProtoKeys, verifyJsonBody } from './common/http/json-body';
import { accessLog } from './common/logging/access-log';
import { ROOT_LOGGER } from './common/logging/logger';
import { DrainService } from './health/drain.service';
import { setupOpenApi } from './openapi/openapi';

/** Nest's own 413 comes below the proxy's 64 KiB, so both limits are seen and tested. */
export const JSON_BODY_LIMIT = '16kb';

/**
 * Nest's default body parsers include a urlencoded one that no route reads
 * and every request would pass through; the JSON parser is registered in
 * configureApp instead, with this app's limits.
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
  // Nest's option type omits `verify`, which it sets itself only for `rawBody: true`, unused here.
  const jsonOptions: NonNullable<Parameters<typeof json>[0]> = {
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    verify: verifyJsonBody,
    reviver: refuseProtoKeys,
  };
  app.useBodyParser('json', jsonOptions);
  // While draining, every answer closes its connection: the proxy then holds
  // no idle connection to this replica when the server closes.
  const drain = app.get(DrainService);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (drain.draining) res.setHeader('Connection', 'close');
    next();
  });
  answerClientErrors(app.getHttpServer());
  setupOpenApi(app);
}
