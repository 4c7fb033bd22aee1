import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';

/** Printable ASCII without spaces, as the draft recommends (a UUID fits). */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's `Idempotency-Key`, or undefined; a malformed key is a 400. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<Request>().headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || !VALID_KEY.test(value)) {
    throw new BadRequestException(
      'Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces, such as a UUID',
    );
  }
  return value;
});

/** Documents the optional Idempotency-Key header of a write. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retrying with the same key and body returns the first answer and changes nothing',
  });
