import type { DomainError } from '../../common/errors/domain-error';
import { StoreBusyError, ConstraintViolationError, StoreFullError, StoreUnavailableError } from '../store.errors';

/** SQLite's primary result codes that the api answers for itself (sqlite.org/rescode.html). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;
const SQLITE_TOOBIG = 18;
const SQLITE_CONSTRAINT = 19;
const SQLITE_MISMATCH = 20;

interface SqliteError extends Error {
  readonly code: 'ERR_SQLITE_ERROR';
  /** The extended result code; its low byte is the primary code. */
  readonly errcode: number;
  readonly errstr: string;
}

// Duck-typed: under jest's VM sandbox, errors made by node:sqlite are not instances of the sandbox's Error.
function isSqliteError(error: unknown): error is SqliteError {
  return typeof error === 'object' && error !== null && (error as Partial<SqliteError>).code === 'ERR_SQLITE_ERROR';
}

/**
 * The SQLite failures a client can do something about (wait, retry, free
 * space, send another value). Each of them ends the statement or the
 * transaction with a rollback, so nothing is half-written.
 */
export function translateSqliteError(error: unknown): DomainError | undefined {
  if (isSqliteError(error)) {
    switch (error.errcode & 0xff) {
      case SQLITE_FULL:
        return new StoreFullError('The accounts store is out of disk space; the change was not saved');
      case SQLITE_CONSTRAINT:
      case SQLITE_TOOBIG:
      case SQLITE_MISMATCH:
        // SQLite's words name the rule: "CHECK constraint failed: amount > 0".
        return new ConstraintViolationError(`"${error.message}"`);
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return new StoreBusyError('The accounts store is busy with other writes; retry shortly');
      case SQLITE_READONLY:
      case SQLITE_IOERR:
      case SQLITE_CANTOPEN:
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return new StoreUnavailableError(`The accounts store is unavailable (${error.errstr}); retry shortly`);
    }
  }
  // node:sqlite's own error once the database has been closed (shutdown, or a test closing it).
  if ((error as { code?: unknown } | null)?.code === 'ERR_INVALID_STATE') {
    return new StoreUnavailableError('The accounts store is closed; retry shortly');
  }
  return undefined;
}
