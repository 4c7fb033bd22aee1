import { DomainError } from '../common/errors/domain-error';
import type { Scope } from './scope';

/** Why a request's key was refused, as metrics count it: a fixed set, unlike `reason`, which may name the key. */
export type AuthFailure =
  | 'no_header'
  | 'repeated_header'
  | 'oversized_header'
  | 'not_bearer'
  | 'malformed_key'
  | 'unknown_key'
  | 'wrong_secret'
  | 'revoked_key'
  | 'insufficient_scope';

/**
 * No key, or one that is malformed, unknown, wrong or revoked. The client is
 * told none of this, so that guessing learns nothing; `failure` is for the
 * metrics, `reason` for the log.
 */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
  constructor(
    readonly failure: Exclude<AuthFailure, 'insufficient_scope'>,
    readonly reason: string,
  ) {
    super('A valid API key is required: send it as "Authorization: Bearer <key>"');
  }
}

export class InsufficientScopeError extends DomainError {
  readonly code = 'insufficient_scope';
  constructor(
    readonly needed: Scope,
    keyName: string,
    held: Scope,
    what = 'This route',
  ) {
    super(`${what} needs a key with scope ${needed}; key "${keyName}" has scope ${held}`);
  }
}

/** Names stay taken after a revocation, so that a name in the audit trail always means one key. */
export class KeyNameTakenError extends DomainError {
  readonly code = 'key_name_taken';
  constructor(name: string) {
    super(`A key named "${name}" already exists (names of revoked keys stay taken); choose another name`);
  }
}

export class KeyNotFoundError extends DomainError {
  readonly code = 'key_not_found';
  constructor(name: string) {
    super(`No key is named "${name}"; list the keys to see their names`);
  }
}

/** Without an admin key, no one could make or revoke keys over HTTP; the keys command would be the only way back. */
export class LastAdminKeyError extends DomainError {
  readonly code = 'last_admin_key';
  constructor(name: string) {
    super(
      `Key "${name}" is the last admin key that is not revoked; make another admin key first, then revoke this one`,
    );
  }
}
