import pino, { type Logger } from 'pino';
import type { Params } from 'nestjs-pino';
import type { LoggingConfig } from '../../config/logging.config';

/** Nest's injection token for the app's pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** The app's one pino logger: the access log writes to it, and Nest's own logs reach it through nestjs-pino. */
export function createLogger(logging: LoggingConfig): Logger {
  // pino's own synchronous stdout: an asynchronous destination measured no cheaper per POST / on one core
  // (79 µs either way, median of 8 rounds), and it can lose lines in a crash.
  return pino({ level: logging.level });
}

/**
 * nestjs-pino carries Nest's `Logger` calls to `logger`. Its pino-http
 * middleware is left out (`useExisting`, no routes): that middleware builds
 * a child logger for every request, serialising and redacting the request
 * before any level check, which cost more than the rest of a `POST /`
 * (bench/README.md, "What changed, and what each change bought"). The access
 * log (access-log.ts) writes the one line per response instead.
 */
export function nestjsPinoParams(logger: Logger): Params {
  return { pinoHttp: { logger }, useExisting: true, forRoutes: [] };
}
