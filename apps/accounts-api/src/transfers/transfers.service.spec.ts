import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { tempStore } from '../../test/support/temp-store';
import { AccountsService } from '../accounts/accounts.service';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { TransfersService } from './transfers.service';

describe('TransfersService', () => {
  let store: ReturnType<typeof tempStore>;
  let accounts: AccountsService;
  let transfers: TransfersService;

  beforeEach(() => {
    store = tempStore();
    const idempotency = new IdempotencyService(store.db, {
      file: store.file,
      busyTimeoutMs: 200,
      idempotencyKeyTtlSeconds: 3600,
    });
    accounts = new AccountsService(store.db, idempotency);
    transfers = new TransfersService(store.db, accounts, idempotency);
  });
  afterEach(() => store.dispose());

  const open = (openingBalance: number, overdraftLimit = 0) =>
    accounts.create({ name: 'a', openingBalance, overdraftLimit }, undefined).body.id;

  it('moves the amount, writes one ledger entry per side, and bumps both versions', () => {
    const a = open(10);
    const b = open(0);

    const { status, location, body } = transfers.create({ from: a, to: b, amount: 4 }, undefined);

    expect({ status, location }).toEqual({ status: 201, location: `/transfers/${body.id}` });
    expect(accounts.get(a)).toMatchObject({ balance: 6, version: 2 });
    expect(accounts.get(b)).toMatchObject({ balance: 4, version: 2 });
    expect(transfers.ledger(a, {}).data).toMatchObject([{ transferId: body.id, amount: -4, balanceAfter: 6 }]);
    expect(transfers.ledger(b, {}).data).toMatchObject([{ transferId: body.id, amount: 4, balanceAfter: 4 }]);
  });

  it('keeps every balance equal to its opening balance plus its ledger, and the total unchanged', () => {
    const ids = [open(100), open(0, 50), open(7), open(0)];
    let seed = 42;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const from = ids[random(ids.length)];
      const to = ids[random(ids.length)];
      try {
        transfers.create({ from, to, amount: 1 + random(40) }, undefined);
      } catch (error) {
        expect(error).toBeInstanceOf(from === to ? BadRequestException : ConflictException);
        refused++;
      }
    }

    expect(refused).toBeGreaterThan(0);
    const rows = store.db.all<{ balance: number; opening_balance: number; entries: number; overdraft_limit: number }>(
      `SELECT balance, opening_balance, overdraft_limit,
              (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE account_id = accounts.id) AS entries
       FROM accounts`,
    );
    for (const row of rows) {
      expect(row.balance).toBe(row.opening_balance + row.entries);
      expect(row.balance).toBeGreaterThanOrEqual(-row.overdraft_limit);
    }
    expect(rows.reduce((sum, row) => sum + row.balance, 0)).toBe(107);
  });

  it('changes nothing when a transfer is refused', () => {
    const a = open(3);
    const b = open(0);

    expect(() => transfers.create({ from: a, to: b, amount: 4 }, undefined)).toThrow(ConflictException);
    expect(() => transfers.create({ from: a, to: 999, amount: 1 }, undefined)).toThrow(NotFoundException);
    expect(store.db.all('SELECT * FROM transfers')).toEqual([]);
    expect(accounts.get(a)).toMatchObject({ balance: 3, version: 1 });
  });

  it('applies a retried transfer once and answers the retry with the first result', () => {
    const a = open(10);
    const b = open(0);

    const first = transfers.create({ from: a, to: b, amount: 4 }, 'key-1');
    const retry = transfers.create({ amount: 4, to: b, from: a }, 'key-1');

    expect(retry).toEqual({ ...first, replayed: true });
    expect(accounts.get(a).balance).toBe(6);
    expect(store.db.all('SELECT id FROM transfers')).toHaveLength(1);
  });

  it('refuses to close an account until its balance is zero, and keeps its ledger after', () => {
    const a = open(5);
    const b = open(0);
    expect(() => accounts.close(a, undefined)).toThrow(/balance of 5/);

    transfers.create({ from: a, to: b, amount: 5 }, undefined);
    accounts.close(a, undefined);
    accounts.close(a, undefined);

    expect(accounts.get(a)).toMatchObject({ status: 'closed', balance: 0 });
    expect(transfers.ledger(a, {}).data).toHaveLength(1);
    expect(() => transfers.create({ from: b, to: a, amount: 1 }, undefined)).toThrow(/closed and cannot receive/);
  });
});
