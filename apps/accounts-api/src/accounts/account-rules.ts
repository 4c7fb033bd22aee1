import type { KeyActor } from '../auth/actor.decorator';
import { InsufficientScopeError } from '../auth/auth.errors';
import { grants } from '../auth/scope';
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

/**
 * An opening balance is money that comes from no other account, and an
 * overdraft limit is credit: both are issued, and only an admin key issues,
 * so that a leaked write key cannot mint. A write key opens empty accounts
 * and moves what is in them.
 */
export function openingRefusal(
  opening: { readonly openingBalance?: number; readonly overdraftLimit?: number },
  by: KeyActor,
): InsufficientScopeError | undefined {
  if (!opening.openingBalance && !opening.overdraftLimit) return undefined;
  if (grants(by.scope, 'admin')) return undefined;
  return new InsufficientScopeError(
    'admin',
    by.name,
    by.scope,
    'Opening an account with an openingBalance or an overdraftLimit',
  );
}
