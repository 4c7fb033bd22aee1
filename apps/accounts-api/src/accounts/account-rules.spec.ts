import { closeRefusal, renameRefusal } from './account-rules';
import { AccountClosedError, BalanceNotZeroError } from './accounts.errors';

describe('renameRefusal', () => {
  it('refuses to rename a closed account, and allows an open one', () => {
    const refusal = renameRefusal({ id: 4, balance: 0, closed: true });
    expect(refusal).toBeInstanceOf(AccountClosedError);
    expect(refusal?.message).toBe('Account 4 is closed and cannot be renamed');
    expect(renameRefusal({ id: 4, balance: 9, closed: false })).toBeUndefined();
  });
});

describe('closeRefusal', () => {
  it('allows closing at exactly zero', () => {
    expect(closeRefusal({ id: 4, balance: 0, closed: false })).toBeUndefined();
  });

  it('refuses a positive or a negative balance, naming it', () => {
    const refusal = closeRefusal({ id: 4, balance: 5, closed: false });
    expect(refusal).toBeInstanceOf(BalanceNotZeroError);
    expect(refusal?.message).toBe('Account 4 has a balance of 5; transfer it to zero before closing the account');
    expect(closeRefusal({ id: 4, balance: -1, closed: false })).toBeInstanceOf(BalanceNotZeroError);
  });

  it('lets a closed account close again: it is no change', () => {
    expect(closeRefusal({ id: 4, balance: 0, closed: true })).toBeUndefined();
  });
});
