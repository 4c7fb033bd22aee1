import type { DomainError } from '../../common/errors/domain-error';
import { StoreBusyError, ConstraintViolationError, StoreFullError, StoreUnavailableError } from '../store.errors';

/**
 * PostgreSQL's SQLSTATE classes and codes that the api answers for itself
 * (postgresql.org/docs/current/errcodes-appendix.html).
 */
const BUSY = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available: lock_timeout ran out
  '57014', // query_canceled: statement_timeout ran out
  '53300', // too_many_connections
]);
const UNAVAILABLE_CLASSES = new Set([
  '08', // connection exception
  '57', // operator intervention: the server is shutting down, restarting or in recovery
]);
const FULL = '53100'; // disk_full
const CONSTRAINT_CLASSES = new Set([
  '22', // data exception: a NUL in text, a number out of a column's range, a string too long
  '23', // integrity constraint violation: CHECK, unique, foreign key, NOT NULL
]);

/** Socket-level failures: the server is not there (stopped, restarting, its name not yet in DNS). */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

const RETRY = 'retry shortly';

export function translatePostgresError(error: unknown): DomainError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    // Before SQLSTATEs: EPIPE has their shape (five capitals) but is a socket's error.
    if (NETWORK.has(code)) return unavailable(code);
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (code === FULL) return new StoreFullError('The accounts store is out of disk space; the change was not saved');
      if (BUSY.has(code)) return new StoreBusyError(`The accounts store is busy with other writes; ${RETRY}`);
      if (UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return unavailable(message);
      if (CONSTRAINT_CLASSES.has(code.slice(0, 2))) return new ConstraintViolationError(rule(error, code));
      return undefined;
    }
  }
  // pg's own words when the server goes away mid-query or a connection cannot be had in time.
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return unavailable(message);
  }
  return undefined;
}

function unavailable(why: string): StoreUnavailableError {
  return new StoreUnavailableError(`The accounts store is unavailable (${why}); ${RETRY}`);
}

/** The constraint by name when the server gave one ("accounts_name_check"), else its words and the SQLSTATE. */
function rule(error: unknown, code: string): string {
  const { constraint, message } = error as { constraint?: string; message?: string };
  return constraint ? `"${constraint}" (${code})` : `"${message}" (${code})`;
}
