import { AccountClosedError } from '../accounts/accounts.errors';
import { sameAccountRefusal, transferRefusal, type TransferParty } from './transfer-rules';
import { BalanceLimitError, OverdraftRefusedError, SameAccountError } from './transfers.errors';

const party = (over: Partial<TransferParty> = {}): TransferParty => ({
  id: 1,
  balance: 10,
  overdraftLimit: 0,
  closed: false,
  ...over,
});

describe('transferRefusal', () => {
  const to = party({ id: 2, balance: 0 });

  it('allows spending the whole balance', () => {
    expect(transferRefusal(party(), to, 10)).toBeUndefined();
  });

  it('refuses going below zero without an overdraft limit, saying how much could be sent', () => {
    const refusal = transferRefusal(party(), to, 11);
    expect(refusal).toBeInstanceOf(OverdraftRefusedError);
    expect(refusal?.message).toBe(
      'Account 1 has a balance of 10 and an overdraft limit of 0: it can send at most 10, not 11',
    );
  });

  it('allows going down to exactly minus the overdraft limit, not one unit further', () => {
    expect(transferRefusal(party({ overdraftLimit: 5 }), to, 15)).toBeUndefined();
    expect(transferRefusal(party({ overdraftLimit: 5 }), to, 16)?.message).toMatch(/can send at most 15, not 16/);
  });

  it('lets an already overdrawn account receive but not send', () => {
    const bob = party({ id: 2, balance: -1 });
    expect(transferRefusal(bob, party({ id: 3 }), 1)?.message).toMatch(/can send at most 0, not 1/);
    expect(transferRefusal(party({ id: 3 }), bob, 1)).toBeUndefined();
  });

  it('refuses closed accounts on either side', () => {
    const sender = transferRefusal(party({ closed: true }), to, 1);
    const receiver = transferRefusal(party(), party({ id: 2, closed: true }), 1);
    expect(sender).toBeInstanceOf(AccountClosedError);
    expect(sender?.message).toBe('Account 1 is closed and cannot send money');
    expect(receiver).toBeInstanceOf(AccountClosedError);
    expect(receiver?.message).toBe('Account 2 is closed and cannot receive money');
  });

  it('refuses a credit that would pass the largest safe integer', () => {
    const rich = party({ id: 2, balance: Number.MAX_SAFE_INTEGER - 1 });
    const refusal = transferRefusal(party(), rich, 2);
    expect(refusal).toBeInstanceOf(BalanceLimitError);
    expect(refusal?.message).toMatch(
      /Account 2 would exceed the largest balance this api can hold \(9007199254740991\)/,
    );
    expect(transferRefusal(party(), rich, 1)).toBeUndefined();
  });

  it('checks the sender before the receiver, and closed accounts before amounts', () => {
    const closedBroke = party({ closed: true, balance: 0 });
    expect(transferRefusal(closedBroke, party({ id: 2, closed: true }), 5)?.message).toMatch(/Account 1 is closed/);
    expect(transferRefusal(party(), party({ id: 2, closed: true }), 50)).toBeInstanceOf(AccountClosedError);
  });

  it('says how much could be sent as zero, never negative, for an account already past its limit', () => {
    expect(transferRefusal(party({ balance: -8, overdraftLimit: 5 }), to, 1)?.message).toMatch(
      /can send at most 0, not 1$/,
    );
  });
});

describe('sameAccountRefusal', () => {
  it('refuses a transfer from an account to itself, and allows two different accounts', () => {
    expect(sameAccountRefusal(4, 4)).toBeInstanceOf(SameAccountError);
    expect(sameAccountRefusal(4, 4)?.message).toBe('from and to must be different accounts');
    expect(sameAccountRefusal(4, 5)).toBeUndefined();
  });
});
