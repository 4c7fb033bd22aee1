import { HttpException, HttpStatus, ServiceUnavailableException } from '@nestjs/common';

/** SQLite's primary result codes that the api answers for itself (sqlite.org/rescode.html). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

interface SqliteError extends Error {
  readonly code: 'ERR_SQLITE_ERROR';
  /** The extended result code; its low byte is the primary code. */
  readonly errcode: number;
  readonly errstr: string;
}

// Duck-typed: under jest's VM sandbox, errors made by node:sqlite are not instances of the sandbox's Error.
export function isSqliteError(error: unknown): error is SqliteError {
  return typeof error === 'object' && error !== null && (error as Partial<SqliteError>).code === 'ERR_SQLITE_ERROR';
}

export function isBusy(error: unknown): boolean {
  if (!isSqliteError(error)) return false;
  const primary = error.errcode & 0xff;
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
}

/** 507 is not among Nest's built-in exceptions. */
export class InsufficientStorageException extends HttpException {
  constructor(message: string) {
    super(message, HttpStatus.INSUFFICIENT_STORAGE);
  }
}

/** A store that cannot answer now but may soon: clients are told when to retry. */
export class StoreUnavailableException extends ServiceUnavailableException {
  readonly retryAfterSeconds = 1;
}

/**
 * Turns the store failures a client can do something about (wait, retry,
 * free space) into HTTP errors; the rest stay unknown errors and become 500s.
 * Every one of these ends the transaction with a rollback, so nothing is half-written.
 */
export function toHttpError(error: unknown): unknown {
  if (!isSqliteError(error)) return error;
  switch (error.errcode & 0xff) {
    case SQLITE_FULL:
      return new InsufficientStorageException('The accounts store is out of disk space; the change was not saved');
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new StoreUnavailableException('The accounts store is busy with other writes; retry shortly');
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new StoreUnavailableException(`The accounts store is unavailable (${error.errstr}); retry shortly`);
    default:
      return error;
  }
}
