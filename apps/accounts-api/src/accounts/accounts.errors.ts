import { DomainError } from '../common/errors/domain-error';

export class AccountNotFoundError extends DomainError {
  readonly code = 'account_not_found';
  constructor(readonly accountId: number) {
    super(`Account ${accountId} does not exist`);
  }
}

/** A closed account keeps its history but takes no new changes. */
export class AccountClosedError extends DomainError {
  readonly code = 'account_closed';
}

export class BalanceNotZeroError extends DomainError {
  readonly code = 'balance_not_zero';
  constructor(accountId: number, balance: number) {
    super(`Account ${accountId} has a balance of ${balance}; transfer it to zero before closing the account`);
  }
}

/** The client's If-Match names a version that is no longer current. */
export class StaleVersionError extends DomainError {
  readonly code = 'stale_version';
  constructor(ifMatch: string, current: string) {
    super(
      `If-Match ${ifMatch} does not match the current ETag ${current}; GET the resource again and retry with its ETag`,
    );
  }
}
