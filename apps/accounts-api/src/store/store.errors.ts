import { DomainError } from '../common/errors/domain-error';

/** Other writers hold the store's lock for longer than this request may wait. */
export class StoreBusyError extends DomainError {
  readonly code = 'store_busy';
}

/** The store cannot be reached or read now: the database is down, restarting, or its file is unreadable. */
export class StoreUnavailableError extends DomainError {
  readonly code = 'store_unavailable';
}

/** The store's disk is full; the change was rolled back. */
export class StoreFullError extends DomainError {
  readonly code = 'store_full';
}
