import type { Response } from 'express';
import type { WriteResult } from '../../idempotency/idempotency.service';

/** Sends a write's status and headers, replayed or not, and returns its body for Nest to serialize. */
export function reply<T>(res: Response, result: WriteResult<T>): T {
  res.status(result.status);
  if (result.location) res.setHeader('Location', result.location);
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return result.body;
}
