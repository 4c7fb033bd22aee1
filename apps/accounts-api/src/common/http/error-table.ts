import type { DomainError, ErrorCode } from '../errors/domain-error';

export interface ErrorEntry {
  readonly status: number;
  /** When a client gets it, for the OpenAPI document and docs/reference/errors.md. */
  readonly why: string;
  /** Sent as `Retry-After`: the failure is expected to pass. */
  readonly retryAfterSeconds?: number;
  /** More headers the answer carries, from the error itself. */
  readonly headers?: (error: DomainError) => Readonly<Record<string, string>>;
}

/** RFC 6750's challenge: how to authenticate, and for a 403, the scope that was missing. */
const REALM = 'Bearer realm="accounts"';
const challenge = (error: DomainError): Record<string, string> => ({
  'WWW-Authenticate':
    'needed' in error ? `${REALM}, error="insufficient_scope", scope="${String(error.needed)}"` : REALM,
});

/** Errors the HTTP layer raises itself, before any service runs. */
export type HttpErrorCode = 'invalid_request' | 'body_too_large' | 'not_json';

/**
 * The one table from error codes to HTTP: the error filter answers with it,
 * `@ApiErrors` documents routes from it, and a spec holds the status table
 * of docs/reference/errors.md to it. A new domain error code fails to compile until it has a row.
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode | HttpErrorCode, ErrorEntry>> = {
  invalid_request: {
    status: 400,
    why: 'Malformed JSON, a wrong type, an unknown field, or a bad id, cursor or header',
  },
  same_account: { status: 400, why: 'A transfer names one account as both `from` and `to`' },
  invalid_cursor: { status: 400, why: 'A `cursor` that is not from a `next` link of this api' },
  unauthenticated: {
    status: 401,
    why: 'No API key, or one that is malformed, unknown or revoked (the answer never says which)',
    headers: challenge,
  },
  insufficient_scope: {
    status: 403,
    why: "The key's scope is too narrow for the route; the message names the scope needed",
    headers: challenge,
  },
  key_not_found: { status: 404, why: 'No API key has that name' },
  account_not_found: { status: 404, why: 'No such account' },
  transfer_not_found: { status: 404, why: 'No such transfer' },
  account_closed: { status: 409, why: 'The account is closed: it cannot send, receive or be renamed' },
  balance_not_zero: { status: 409, why: 'Only an account with a zero balance may be closed' },
  overdraft_refused: { status: 409, why: 'The transfer would take the sender below its overdraft limit' },
  balance_limit_exceeded: {
    status: 409,
    why: 'The transfer would take the receiver past the largest balance the api holds',
  },
  key_name_taken: { status: 409, why: 'An API key of that name exists, or existed and was revoked' },
  last_admin_key: {
    status: 409,
    why: 'The key is the last admin key that is not revoked; make another admin key first',
  },
  constraint_violation: {
    status: 409,
    why: "A value broke one of the store's own rules, named in the message; nothing was saved",
  },
  stale_version: { status: 412, why: '`If-Match` does not match the current `ETag`' },
  body_too_large: { status: 413, why: 'The body is too large' },
  not_json: { status: 415, why: 'The body is not `application/json`' },
  idempotency_key_reused: { status: 422, why: 'The `Idempotency-Key` was already used for a different request' },
  store_busy: { status: 503, why: 'Other writes hold the store for too long', retryAfterSeconds: 1 },
  store_unavailable: { status: 503, why: 'The store is down, restarting or unreadable', retryAfterSeconds: 1 },
  store_full: { status: 507, why: 'The store is out of disk space; the change was not saved, reads still work' },
};

export type DocumentedErrorCode = keyof typeof ERROR_TABLE;
