import { DomainError } from '../common/errors/domain-error';

export class TransferNotFoundError extends DomainError {
  readonly code = 'transfer_not_found';
  constructor(transferId: number) {
    super(`Transfer ${transferId} does not exist`);
  }
}

/** A transfer from an account to itself moves nothing: the request is malformed. */
export class SameAccountError extends DomainError {
  readonly code = 'same_account';
  constructor() {
    super('from and to must be different accounts');
  }
}

export class OverdraftRefusedError extends DomainError {
  readonly code = 'overdraft_refused';
}

export class BalanceLimitError extends DomainError {
  readonly code = 'balance_limit_exceeded';
}
