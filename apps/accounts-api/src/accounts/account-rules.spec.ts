import { closeRefusal, openingRefusal, renameRefusal } from './account-rules';
import { AccountClosedError, BalanceNotZeroError } from './accounts.errors';
import type { KeyActor } from '../auth/actor.decorator';
import { InsufficientScopeError } from '../auth/auth.errors';
import type { Scope } from '../auth/scope';

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

describe('openingRefusal', () => {
  const as = (scope: Scope): KeyActor => ({ name: 'batch', scope, requestId: null });

  it('lets any write key open an empty account, and only an admin key issue money or credit', () => {
    expect(openingRefusal({}, as('write'))).toBeUndefined();
    expect(openingRefusal({ openingBalance: 0, overdraftLimit: 0 }, as('write'))).toBeUndefined();
    expect(openingRefusal({ openingBalance: 5, overdraftLimit: 3 }, as('admin'))).toBeUndefined();

    for (const opening of [{ openingBalance: 1 }, { overdraftLimit: 1 }, { openingBalance: 1, overdraftLimit: 1 }]) {
      const refusal = openingRefusal(opening, as('write'));
      expect(refusal).toBeInstanceOf(InsufficientScopeError);
      expect(refusal?.message).toBe(
        'Opening an account with an openingBalance or an overdraftLimit needs a key with scope admin; key "batch" has scope write',
      );
    }
    expect(openingRefusal({ openingBalance: 1 }, as('read'))?.needed).toBe('admin');
  });
});
