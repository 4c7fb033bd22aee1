import { AccountClosedError, BalanceNotZeroError } from './accounts.errors';

/** What the account rules need to know of an account. */
export interface AccountState {
  readonly id: number;
  readonly balance: number;
  readonly closed: boolean;
}

/** A closed account keeps its name, as its history shows it. */
export function renameRefusal(account: AccountState): AccountClosedError | undefined {
  return account.closed ? new AccountClosedError(`Account ${account.id} is closed and cannot be renamed`) : undefined;
}

/**
 * Only an account with nothing in it may close, so that no money vanishes
 * with it. Closing a closed account is no change, not a refusal.
 */
export function closeRefusal(account: AccountState): BalanceNotZeroError | undefined {
  if (account.closed || account.balance === 0) return undefined;
  return new BalanceNotZeroError(account.id, account.balance);
}
