import { DomainError } from '../common/errors/domain-error';

/** The key answered another request before; a new request needs a new key. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency_key_reused';
  constructor(key: string, scope: string) {
    super(`Idempotency-Key ${key} was already used for a different ${scope} request; use a new key for a new request`);
  }
}
