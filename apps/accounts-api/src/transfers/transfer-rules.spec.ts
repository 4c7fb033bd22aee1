import { transferRefusal, type TransferParty } from './transfer-rules';

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
    expect(transferRefusal(party(), to, 11)).toBe(
      'Account 1 has a balance of 10 and an overdraft limit of 0: it can send at most 10, not 11',
    );
  });

  it('allows going down to exactly minus the overdraft limit, not one unit further', () => {
    expect(transferRefusal(party({ overdraftLimit: 5 }), to, 15)).toBeUndefined();
    expect(transferRefusal(party({ overdraftLimit: 5 }), to, 16)).toMatch(/can send at most 15, not 16/);
  });

  it('lets an already overdrawn account receive but not send', () => {
    const bob = party({ id: 2, balance: -1 });
    expect(transferRefusal(bob, party({ id: 3 }), 1)).toMatch(/can send at most 0, not 1/);
    expect(transferRefusal(party({ id: 3 }), bob, 1)).toBeUndefined();
  });

  it('refuses closed accounts on either side', () => {
    expect(transferRefusal(party({ closed: true }), to, 1)).toBe('Account 1 is closed and cannot send money');
    expect(transferRefusal(party(), party({ id: 2, closed: true }), 1)).toBe('Account 2 is closed and cannot receive money');
  });

  it('refuses a credit that would pass the largest safe integer', () => {
    const rich = party({ id: 2, balance: Number.MAX_SAFE_INTEGER - 1 });
    expect(transferRefusal(party(), rich, 2)).toMatch(/largest balance/);
    expect(transferRefusal(party(), rich, 1)).toBeUndefined();
  });
});
