import pino, { type Logger } from 'pino';
import type { Params } from 'nestjs-pino';
import type { LoggingConfig } from '../../config/logging.config';

/** Nest's injection token for the app's pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** The app's one pino logger: the access log writes to it, and Nest's own logs reach it through nestjs-pino. */
export function createLogger(logging: LoggingConfig): Logger {
  // pino's default destination, which is asynchronous: each line goes to an
  // fs.write on libuv's threadpool at once, and lines logged while a write is
  // under way go together in the next. In its container the api made one
  // write for about 48 access lines with 50 connections, and one per line with
  // 1 (bench/README.md). pino writes out the rest when the process exits,
  // after the drain too; only a SIGKILL can lose the write under way.
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
