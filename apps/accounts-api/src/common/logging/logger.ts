import pino, { type Logger } from 'pino';
import type { Params } from 'nestjs-pino';
import type { LoggingConfig } from '../../config/logging.config';

/** Nest's injection token for the app's pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * The app's one pino logger: the access log writes to it, and Nest's own logs
 * reach it through nestjs-pino. Lines go to stdout asynchronously: a line
 * written while the previous write is still under way joins the next write,
 * so a busy api makes one write for many lines and an idle one writes each
 * line at once. pino flushes what is left when the process exits.
 */
export function createLogger(logging: LoggingConfig): Logger {
  return pino({ level: logging.level }, pino.destination({ dest: 1, sync: false }));
}

/**
 * nestjs-pino carries Nest's `Logger` calls to `logger`. Its pino-http
 * middleware is left out (`useExisting`, no routes): that middleware builds
 * a child logger for every request, serialising and redacting the request
 * before any level check, which cost more than the rest of a `POST /`
 * (README, "Performance"). The access log (access-log.ts) writes the one line
 * per response instead.
 */
export function nestjsPinoParams(logger: Logger): Params {
  return { pinoHttp: { logger }, useExisting: true, forRoutes: [] };
}
