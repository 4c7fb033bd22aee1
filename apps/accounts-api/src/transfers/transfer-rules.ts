import { MAX_MONEY } from '../accounts/account';

/** What the rules need to know of each side of a transfer. */
export interface TransferParty {
  readonly id: number;
  readonly balance: number;
  readonly overdraftLimit: number;
  readonly closed: boolean;
}

/**
 * Why a transfer of `amount` from `from` to `to` may not happen now, or
 * undefined when it may. These refusals depend on the accounts' current
 * state, so they are conflicts (409), unlike a malformed request (400).
 */
export function transferRefusal(from: TransferParty, to: TransferParty, amount: number): string | undefined {
  if (from.closed) return `Account ${from.id} is closed and cannot send money`;
  if (to.closed) return `Account ${to.id} is closed and cannot receive money`;
  const floor = -from.overdraftLimit;
  if (from.balance - amount < floor) {
    return (
      `Account ${from.id} has a balance of ${from.balance} and an overdraft limit of ${from.overdraftLimit}: ` +
      `it can send at most ${Math.max(0, from.balance - floor)}, not ${amount}`
    );
  }
  if (to.balance > MAX_MONEY - amount) {
    return `Account ${to.id} would exceed the largest balance this api can hold (${MAX_MONEY})`;
  }
  return undefined;
}
