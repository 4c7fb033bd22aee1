import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** The body of every error answer, from the api or from the proxy's own error pages. */
export class ErrorBody {
  @ApiProperty({ example: 409 })
  readonly statusCode!: number;
  @ApiProperty({ example: 'Conflict', description: 'The status text' })
  readonly error!: string;
  @ApiProperty({ example: 'Account 2 has a balance of -1 and an overdraft limit of 0: it can send at most 0, not 5' })
  readonly message!: string;
  @ApiProperty({ example: 'c7bb8fb9659329c7452156db04d9ad73', description: 'Also in the X-Request-Id header and the logs' })
  readonly requestId!: string;
}

const WHY: Record<number, string> = {
  400: 'Malformed JSON, a wrong type, an unknown field, or a bad id or header',
  404: 'No such account or transfer',
  409: "The accounts' state does not allow it (overdraft, closed account, non-zero balance)",
  412: 'If-Match does not match the current ETag',
  413: 'The body is too large',
  415: 'The body is not JSON',
  422: 'The Idempotency-Key was already used for a different request',
  503: 'The store is unavailable or busy; retry after Retry-After seconds',
  507: 'The store is out of disk space; the change was not saved',
};

/** Documents the error answers a route can give, all with the ErrorBody shape. */
export function ApiErrors(...statuses: (keyof typeof WHY)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: WHY[status], type: ErrorBody })));
}
