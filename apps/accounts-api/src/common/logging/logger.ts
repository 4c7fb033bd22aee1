import pino, { type DestinationStream, type Logger } from 'pino';
import type { Params } from 'nestjs-pino';
import type { LoggingConfig } from '../../config/logging.config';

type SonicBoom = ReturnType<typeof pino.destination>;

/** Nest's injection token for the app's pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * How the api's lines reach its stdout: held until this many bytes or
 * LOG_FLUSH_MS, whichever comes first, then written in one `write` on
 * libuv's threadpool (sonic-boom's `minLength` and `periodicFlush`).
 */
const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_MS = 500;

/** The app's one pino logger: the access log writes to it, and Nest's own logs reach it through nestjs-pino. */
export function createLogger(logging: LoggingConfig): Logger {
  const destination = heldStdout();
  return pino(
    {
      level: logging.level,
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= pino.levels.values.warn) destination.flush();
        },
      },
    },
    destination,
  );
}

/**
 * stdout for pino, its lines held until LOG_BUFFER_BYTES or LOG_FLUSH_MS.
 *
 * pino's default destination writes as soon as the previous write is done,
 * which batches lines only while requests come in bursts: straight from wrk
 * at 50 connections, one write per 48 lines; behind nginx, which hands the
 * api its requests spread out, one per 4 to 11, and those writes and
 * wake-ups cost the api about 1.14 x its CPU per request with the buffer
 * (bench/README.md). A warning or an error starts a write at once unless one
 * is under way, behind the lines before it. On exit, after a drain or a
 * crash, pino writes out what it holds; only a SIGKILL loses it.
 *
 * The lines go to sonic-boom as bytes (`contentMode: 'buffer'`): holding
 * strings, it measures the whole held string again for every line it adds,
 * and an access line cost the api about 23 µs in its container instead of
 * 13.5 (bench/README.md).
 */
function heldStdout(): DestinationStream & Pick<SonicBoom, 'flush'> {
  const stream = pino.destination({
    dest: 1,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: LOG_FLUSH_MS,
    contentMode: 'buffer',
  });
  // sonic-boom's types know only strings; in buffer mode its write takes
  // bytes. Looked up at each call: on EPIPE pino swaps in a write that does nothing.
  const bytes = stream as unknown as { write(bytes: Buffer): boolean };
  return {
    write: (line: string) => bytes.write(Buffer.from(line)),
    flush: (done) => stream.flush(done),
  };
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
