import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ERROR_TABLE, type DocumentedErrorCode } from './error-table';

/** The body of every error answer, from the api or from the proxy's own error pages. */
export class ErrorBody {
  @ApiProperty({ example: 409 })
  readonly statusCode!: number;
  @ApiProperty({ example: 'Conflict', description: 'The status text' })
  readonly error!: string;
  @ApiProperty({ example: 'Account 2 has a balance of -1 and an overdraft limit of 0: it can send at most 0, not 5' })
  readonly message!: string;
  @ApiProperty({
    example: 'c7bb8fb9659329c7452156db04d9ad73',
    description: 'Also in the X-Request-Id header and the logs',
  })
  readonly requestId!: string;
}

/** What any write may meet in the store. */
export const STORE_WRITE_ERRORS = [
  'store_busy',
  'store_unavailable',
  'store_full',
  'constraint_violation',
] as const satisfies DocumentedErrorCode[];

/**
 * Documents the error answers a route can give, all with the ErrorBody
 * shape, from the codes it can raise: codes that share a status share one
 * response, described by each of their rows in the error table.
 */
export function ApiErrors(...codes: DocumentedErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const { status, why } = ERROR_TABLE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), why]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, whys]) => ApiResponse({ status, description: whys.join('; '), type: ErrorBody })),
  );
}
