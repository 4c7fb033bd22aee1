import type { Params } from 'nestjs-pino';
import type { LoggingConfig } from '../../config/logging.config';
import { requestId } from './request-id';

/** One JSON line per request on stdout, with the request id and no secrets. */
export function pinoHttpOptions(logging: LoggingConfig, healthPath: string): Params {
  return {
    pinoHttp: {
      level: logging.level,
      genReqId: requestId,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
      // Who made the request: the name of its API key, which the auth guard
      // sets on the request (never the key). Read when the line is written.
      customProps: (req) => {
        const name = (req as { caller?: { name?: string } }).caller?.name;
        return name === undefined ? {} : { apiKey: name };
      },
      // The container healthcheck polls every few seconds; its lines would drown the rest.
      autoLogging: { ignore: (req) => req.url === healthPath },
    },
  };
}
