import { applyDecorators, type Type as Class } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DomainError } from '../errors/domain-error';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` of every list. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  readonly limit?: number;

  @ApiPropertyOptional({ description: 'The cursor from the `next` link of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be taken from a `next` link' })
  readonly cursor?: string;
}

export interface Page<T> {
  readonly data: T[];
  /** The link to the following page, or null on the last one. */
  readonly next: string | null;
}

/**
 * Cursors are opaque to clients but are just "after this id": keyset
 * pagination stays stable while rows are added, unlike offsets.
 */
export function encodeCursor(afterId: number): string {
  return Buffer.from(`after:${afterId}`).toString('base64url');
}

/** A cursor of the right shape that this api did not issue (the shape itself is checked on the query). */
export class InvalidCursorError extends DomainError {
  readonly code = 'invalid_cursor';
  constructor() {
    super('cursor is not one this api issued; use the `next` link of a previous page');
  }
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^after:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError();
  return Number(match[1]);
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only tells
 * whether a next page exists.
 */
export function toPage<R extends { id: number }, T>(
  rows: R[],
  limit: number,
  path: string,
  map: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(map),
    next: more && last ? `${path}?limit=${limit}&cursor=${encodeCursor(last.id)}` : null,
  };
}

/** Documents a 200 answer that is a Page of `model`. */
export function ApiPageResponse(model: Class<unknown>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({
      schema: {
        type: 'object',
        required: ['data', 'next'],
        properties: {
          data: { type: 'array', items: { $ref: getSchemaPath(model) } },
          next: { type: 'string', nullable: true, description: 'The following page, or null on the last one' },
        },
      },
    }),
  );
}
