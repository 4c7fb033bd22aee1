import { applyDecorators, type Type as Class } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import type { Slice } from '../paging/keyset';

/** A list's answer: a page of items and the link to the next. */
export interface Page<T> {
  readonly data: T[];
  /** The link to the following page, or null on the last one. */
  readonly next: string | null;
}

/**
 * The answer for a slice of the list at `path`. A slice with more after it
 * is always full, so its length is the limit the next page keeps; `filters`
 * given a value stay on the next link too, or it would list what they left out.
 */
export function pageOf<T>(
  slice: Slice<T>,
  path: string,
  filters: Readonly<Record<string, string | undefined>> = {},
): Page<T> {
  if (slice.nextCursor === null) return { data: slice.data, next: null };
  const query = new URLSearchParams({ limit: String(slice.data.length), cursor: slice.nextCursor });
  for (const [name, value] of Object.entries(filters)) if (value !== undefined) query.set(name, value);
  return { data: slice.data, next: `${path}?${query.toString()}` };
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
