/**
 * Every code a domain error can carry. The services and the store speak in
 * these; `common/http/error-table.ts` is the one place that turns each into
 * an HTTP status and headers.
 */
export type ErrorCode =
  | 'unauthenticated'
  | 'insufficient_scope'
  | 'key_name_taken'
  | 'key_not_found'
  | 'last_admin_key'
  | 'invalid_cursor'
  | 'account_not_found'
  | 'account_closed'
  | 'balance_not_zero'
  | 'stale_version'
  | 'transfer_not_found'
  | 'same_account'
  | 'overdraft_refused'
  | 'balance_limit_exceeded'
  | 'idempotency_key_reused'
  | 'store_busy'
  | 'store_unavailable'
  | 'store_full'
  | 'constraint_violation';

/**
 * A failure the caller can act on, named by its code. Its message is written
 * for the client: what happened and what to do about it.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
