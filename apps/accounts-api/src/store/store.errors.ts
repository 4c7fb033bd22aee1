import { DomainError } from '../common/errors/domain-error';

/** Other writers hold the store's lock for longer than this request may wait. */
export class StoreBusyError extends DomainError {
  readonly code = 'store_busy';
}

/** The store cannot be reached or read now: the database is down, restarting, or its file is unreadable. */
export class StoreUnavailableError extends DomainError {
  readonly code = 'store_unavailable';
}

/**
 * A row broke one of the store's own rules (a CHECK, a unique or foreign
 * key, NOT NULL, a value out of a column's range). The api's checks come
 * first, so this is a value they let through: answered as a refusal that
 * names the rule, not as a bare 500, and the change was rolled back.
 */
export class ConstraintViolationError extends DomainError {
  readonly code = 'constraint_violation';
  constructor(rule: string) {
    super(`The store refused the change under its rule ${rule}; nothing was saved. Change the value the rule names`);
  }
}

/** The store's disk is full; the change was rolled back. */
export class StoreFullError extends DomainError {
  readonly code = 'store_full';
}
