import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { requestId } from './request-id';

/**
 * A request as the access log reads it: `id` is its own (typed by pino-http's
 * augmentation of IncomingMessage), `caller` the auth guard's, on keyed routes.
 */
export type LoggedRequest = IncomingMessage & { caller?: { name: string } };

/**
 * One JSON line per response, written when the response is done: the request
 * id (the proxy's, or a new one, echoed in `X-Request-Id`), method, URL, the
 * peer's address, the status, the time taken and the API key's name. Headers
 * are never written, so neither `Authorization` nor `Cookie` can reach a log.
 * `ignoredPath` (the healthcheck, polled every few seconds) gets an id but no line.
 */
export function accessLog(logger: Logger, ignoredPath: string) {
  return (req: LoggedRequest, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    req.id = requestId(req, res);
    if (req.url === ignoredPath) return next();
    // Read now: routers rewrite req.url on the way, and a socket the client
    // closed no longer knows its peer.
    const request = { ...requestFields(req, req.url), remoteAddress: req.socket.remoteAddress };
    res.once('close', () => {
      const line = {
        req: request,
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
        apiKey: req.caller?.name,
      };
      if (!res.writableFinished) logger.warn(line, 'request aborted');
      else if (res.statusCode >= 500) logger.error(line, 'request completed');
      else logger.info(line, 'request completed');
    });
    next();
  };
}

/**
 * The most of a URL a log line keeps. Anyone, without a key, chooses a
 * URL's length (up to Node's 16 KiB of headers): written whole, a few
 * thousand long ones rotate everything else out of the engine's 30 MiB of
 * log files. Cut here, a long URL costs a line no more than a short one.
 */
export const LOGGED_URL_MAX = 256;

interface RequestFields {
  readonly id: unknown;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** Set only when `url` was cut to LOGGED_URL_MAX characters: how long it was. */
  readonly urlLength?: number;
}

/** How every log line names a request: its access line and any other line about it. */
function requestFields(req: IncomingMessage, url: string | undefined): RequestFields {
  if (url === undefined || url.length <= LOGGED_URL_MAX) return { id: req.id, method: req.method, url };
  return { id: req.id, method: req.method, url: url.slice(0, LOGGED_URL_MAX), urlLength: url.length };
}

/** What a log line about one request carries, so that it can be matched with that request's access line. */
export function requestContext(req: Request): { req: RequestFields } {
  return { req: requestFields(req, req.originalUrl) };
}
