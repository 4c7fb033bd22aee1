import { HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Written } from './idempotency.service';

/**
 * Answers a write that made a resource: 201 with its Location, marked as a
 * replay when an earlier request with the same Idempotency-Key made it.
 * Both follow from the route and the value, so a replay answers exactly as
 * the first request did. Returns the body for Nest to serialize.
 */
export function answerCreated<T>(res: Response, written: Written<T>, location: (value: T) => string): T {
  res.status(HttpStatus.CREATED).setHeader('Location', location(written.value));
  if (written.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return written.value;
}
