import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';
import { UnsupportedMethodException } from '../exceptions/unsupported-method.exception';
import type { ErrorBody } from '../http/api-errors.decorator';
import { ERROR_TABLE } from '../http/error-table';
import { requestContext } from '../logging/access-log';
import { requestId } from '../logging/request-id';
import { Metrics } from '../../metrics/metrics';

/**
 * Maps every error to HTTP in one place. Domain errors get the status and
 * headers of their code's row in the error table. Body-parser errors (malformed JSON,
 * body too large, unsupported charset) arrive here as plain errors with a
 * 4xx `status` and are answered as such; anything unknown is a 500 whose
 * details are logged, never sent.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(private readonly metrics: Metrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { statusCode, message, retryAfterSeconds, headers } = this.describe(exception);

    if (exception instanceof DomainError) {
      this.metrics.domainError(exception.code);
      // A named failure of the store (busy, down, full): its message says it all.
      if (statusCode >= 500) this.logger.warn(requestContext(req), `${exception.code}: ${exception.message}`);
    } else if (statusCode >= 500) {
      this.logger.error(
        requestContext(req),
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (exception instanceof UnsupportedMethodException) {
      res.setHeader('Allow', exception.allow.join(', '));
    }
    if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    const body: ErrorBody = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message,
      // The access log gives every request its id first; a request that never
      // passed it (a spec's bare handler) still gets one.
      requestId: typeof req.id === 'string' ? req.id : requestId(req, res),
    };
    res.status(statusCode).json(body);
  }

  private describe(exception: unknown): {
    statusCode: number;
    message: string;
    retryAfterSeconds?: number;
    headers?: Readonly<Record<string, string>>;
  } {
    if (exception instanceof DomainError) {
      const { status, retryAfterSeconds, headers } = ERROR_TABLE[exception.code];
      return { statusCode: status, message: exception.message, retryAfterSeconds, headers: headers?.(exception) };
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const health = unhealthy(response);
      if (health) return { statusCode: exception.getStatus(), message: health };
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return {
        statusCode: exception.getStatus(),
        message: Array.isArray(message)
          ? message.join('; ')
          : typeof message === 'string'
            ? message
            : exception.message,
      };
    }
    const status = (exception as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { statusCode: status, message: (exception as Error).message };
    }
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}

/**
 * Terminus answers an unhealthy check with its own report as the exception's
 * response; say which indicator is down, and why, in the one error shape.
 */
function unhealthy(response: unknown): string | undefined {
  const error = (response as { status?: unknown; error?: unknown } | null)?.error;
  if ((response as { status?: unknown }).status !== 'error' || typeof error !== 'object' || error === null)
    return undefined;
  const down = Object.entries(error as Record<string, { status?: string; message?: string }>).map(
    ([name, { status, message }]) => `${name} is ${status ?? 'down'}${message ? ` (${message})` : ''}`,
  );
  return `Not ready: ${down.join('; ')}`;
}
