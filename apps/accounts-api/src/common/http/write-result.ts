import type { Response } from 'express';

/** What a write answered: kept per Idempotency-Key so a retry gets the same answer. */
export interface WriteResult<T> {
  readonly status: number;
  readonly location?: string;
  readonly body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  readonly replayed?: boolean;
}

/** Sends a write's status and headers, replayed or not, and returns its body for Nest to serialize. */
export function reply<T>(res: Response, result: WriteResult<T>): T {
  res.status(result.status);
  if (result.location) res.setHeader('Location', result.location);
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return result.body;
}
