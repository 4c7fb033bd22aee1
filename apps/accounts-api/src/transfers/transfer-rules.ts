import { MAX_MONEY } from '../accounts/account';
import { AccountClosedError } from '../accounts/accounts.errors';
import type { DomainError } from '../common/errors/domain-error';
import { BalanceLimitError, OverdraftRefusedError, SameAccountError } from './transfers.errors';

/** What the rules need to know of each side of a transfer. */
export interface TransferParty {
  readonly id: number;
  readonly balance: number;
  readonly overdraftLimit: number;
  readonly closed: boolean;
}

/** A transfer names two different accounts; this needs no store, so it is checked before any. */
export function sameAccountRefusal(from: number, to: number): SameAccountError | undefined {
  return from === to ? new SameAccountError() : undefined;
}

/**
 * Why a transfer of `amount` from `from` to `to` may not happen now, or
 * undefined when it may. These refusals depend on the accounts' current
 * state, so they are conflicts, unlike a malformed request.
 */
export function transferRefusal(from: TransferParty, to: TransferParty, amount: number): DomainError | undefined {
  if (from.closed) return new AccountClosedError(`Account ${from.id} is closed and cannot send money`);
  if (to.closed) return new AccountClosedError(`Account ${to.id} is closed and cannot receive money`);
  const floor = -from.overdraftLimit;
  if (from.balance - amount < floor) {
    return new OverdraftRefusedError(
      `Account ${from.id} has a balance of ${from.balance} and an overdraft limit of ${from.overdraftLimit}: ` +
        `it can send at most ${Math.max(0, from.balance - floor)}, not ${amount}`,
    );
  }
  if (to.balance > MAX_MONEY - amount) {
    return new BalanceLimitError(`Account ${to.id} would exceed the largest balance this api can hold (${MAX_MONEY})`);
  }
  return undefined;
}
