import { sql } from 'kysely';
import { RecordingMetrics } from '../../test/support/metrics';
import { holdRow, STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { AccountsCache } from '../accounts/accounts.cache';
import { AccountClosedError, AccountNotFoundError } from '../accounts/accounts.errors';
import { AccountsService } from '../accounts/accounts.service';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { NO_METRICS } from '../metrics/metrics';
import type { Store } from '../store/store';
import { OverdraftRefusedError, SameAccountError, TransferNotFoundError } from './transfers.errors';
import { TransfersService } from './transfers.service';
import type { KeyActor } from '../auth/actor.decorator';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';

const actor = (name: string): KeyActor => ({ name, requestId: `req-${name}`, scope: 'admin' });

describe.each(STORE_DIALECTS)('TransfersService on %s', (dialect) => {
  let temp: TempStore;
  let accounts: AccountsService;
  let transfers: TransfersService;
  let metrics: RecordingMetrics;

  const servicesOn = (store: Store) => {
    const idempotency = new IdempotencyService(store, storeConfigFor(temp.url), NO_METRICS);
    const accountsOn = new AccountsService(store, idempotency, new AccountsCache(store, NO_METRICS), metrics);
    return { accounts: accountsOn, transfers: new TransfersService(store, accountsOn, idempotency, metrics) };
  };

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    metrics = new RecordingMetrics();
    ({ accounts, transfers } = servicesOn(temp.store));
  });
  afterEach(() => temp.dispose());

  /** Transfers between customers: every opening balance is an issuance, a transfer from account 0, too. */
  const customerTransfers = () =>
    temp.store.db.selectFrom('transfers').selectAll().where('from_id', '<>', 0).where('to_id', '<>', 0).execute();

  const open = async (openingBalance: number, overdraftLimit = 0) =>
    (await accounts.create({ name: 'a', openingBalance, overdraftLimit }, undefined, actor('tester'))).value.id;

  it('moves the amount, writes one ledger entry per side, bumps both versions, and records who moved it', async () => {
    const a = await open(10);
    const b = await open(0);

    const { value: body, replayed } = await transfers.create({ from: a, to: b, amount: 4 }, undefined, actor('tester'));

    expect(replayed).toBe(false);
    expect(body).toEqual({
      id: body.id,
      from: a,
      to: b,
      amount: 4,
      createdAt: expect.stringMatching(/Z$/),
      createdBy: 'tester',
    });
    expect(await transfers.get(body.id)).toEqual(body);
    expect(await accounts.get(a)).toMatchObject({ balance: 6, version: 2 });
    expect(await accounts.get(b)).toMatchObject({ balance: 4, version: 2 });
    expect(metrics.of('transfer')).toEqual([[4]]);
    // a's opening balance, issued; b opened empty.
    expect(metrics.of('issuance')).toEqual([[10]]);
    expect((await transfers.ledger(a, {})).data).toEqual([
      // Its opening balance, issued to it when it was opened.
      expect.objectContaining({ accountId: a, amount: 10, balanceAfter: 10 }),
      {
        id: expect.any(Number),
        accountId: a,
        transferId: body.id,
        amount: -4,
        balanceAfter: 6,
        createdAt: body.createdAt,
        createdBy: 'tester',
      },
    ]);
    expect((await transfers.ledger(b, {})).data).toMatchObject([
      { accountId: b, transferId: body.id, amount: 4, balanceAfter: 4, createdBy: 'tester' },
    ]);
    // Renames and closes set updatedBy; a transfer's author is in the ledger instead.
    expect(await accounts.get(a)).toMatchObject({ updatedBy: null });
  });

  it('keeps every balance equal to its ledger, and the total unchanged', async () => {
    const ids = [await open(100), await open(0, 50), await open(7), await open(0)];
    let seed = 42;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const from = ids[random(ids.length)];
      const to = ids[random(ids.length)];
      try {
        await transfers.create({ from, to, amount: 1 + random(40) }, undefined, actor('tester'));
      } catch (error) {
        expect(error).toBeInstanceOf(from === to ? SameAccountError : OverdraftRefusedError);
        refused++;
      }
    }

    expect(refused).toBeGreaterThan(0);
    await expectLedgersAddUp(temp.store, 107);
  });

  it('changes nothing when a transfer is refused', async () => {
    const a = await open(3);
    const b = await open(0);

    await expect(transfers.create({ from: a, to: b, amount: 4 }, undefined, actor('tester'))).rejects.toBeInstanceOf(
      OverdraftRefusedError,
    );
    await expect(transfers.create({ from: a, to: 999, amount: 1 }, undefined, actor('tester'))).rejects.toEqual(
      new AccountNotFoundError(999),
    );
    await expect(transfers.create({ from: 998, to: a, amount: 1 }, undefined, actor('tester'))).rejects.toEqual(
      new AccountNotFoundError(998),
    );
    // Neither exists: the lower id is named, whichever way the money would go.
    for (const [from, to] of [
      [997, 996],
      [996, 997],
    ]) {
      await expect(transfers.create({ from, to, amount: 1 }, undefined, actor('tester'))).rejects.toEqual(
        new AccountNotFoundError(996),
      );
    }
    await expect(transfers.create({ from: a, to: a, amount: 1 }, undefined, actor('tester'))).rejects.toBeInstanceOf(
      SameAccountError,
    );
    expect(await customerTransfers()).toEqual([]);
    expect(await accounts.get(a)).toMatchObject({ balance: 3, version: 1 });
    expect(metrics.of('transfer')).toEqual([]);
  });

  it('answers TransferNotFoundError for an unknown transfer and AccountNotFoundError for an unknown ledger', async () => {
    await expect(transfers.get(42)).rejects.toEqual(new TransferNotFoundError(42));
    await expect(transfers.ledger(42, {})).rejects.toEqual(new AccountNotFoundError(42));
  });

  it('applies a retried transfer once and answers the retry with the first result', async () => {
    const a = await open(10);
    const b = await open(0);

    const first = await transfers.create({ from: a, to: b, amount: 4 }, 'key-1', actor('tester'));
    const retry = await transfers.create({ amount: 4, to: b, from: a }, 'key-1', actor('tester'));

    expect(retry).toEqual({ ...first, replayed: true });
    expect(metrics.of('transfer')).toEqual([[4]]);
    expect((await accounts.get(a)).balance).toBe(6);
    expect(await customerTransfers()).toHaveLength(1);
  });

  it('refuses a key reused for a different transfer, naming the route, and moves nothing', async () => {
    const a = await open(10);
    const b = await open(0);
    await transfers.create({ from: a, to: b, amount: 4 }, 'key-1', actor('tester'));

    await expect(transfers.create({ from: a, to: b, amount: 5 }, 'key-1', actor('tester'))).rejects.toThrow(
      'Idempotency-Key key-1 was already used for a different POST /transfers request',
    );
    expect((await accounts.get(a)).balance).toBe(6);
  });

  it('pages an account ledger oldest first, with a cursor to the next page', async () => {
    const a = await open(10);
    const b = await open(0);
    for (let i = 0; i < 3; i++) await transfers.create({ from: a, to: b, amount: 1 }, undefined, actor('tester'));

    const page = await transfers.ledger(a, { limit: 3 });
    expect(page.data.map((entry) => entry.balanceAfter)).toEqual([10, 9, 8]);
    const last = await transfers.ledger(a, { limit: 3, cursor: page.nextCursor! });
    expect(last).toEqual({ data: [expect.objectContaining({ balanceAfter: 7 })], nextCursor: null });
  });

  it('refuses to close an account until its balance is zero, and keeps its ledger after', async () => {
    const a = await open(5);
    const b = await open(0);
    await expect(accounts.close(a, undefined, actor('tester'))).rejects.toThrow(/balance of 5/);

    await transfers.create({ from: a, to: b, amount: 5 }, undefined, actor('tester'));
    await accounts.close(a, undefined, actor('tester'));
    await accounts.close(a, undefined, actor('tester'));

    expect(await accounts.get(a)).toMatchObject({ status: 'closed', balance: 0 });
    expect((await transfers.ledger(a, {})).data.map((entry) => entry.amount)).toEqual([5, -5]);
    await expect(transfers.create({ from: b, to: a, amount: 1 }, undefined, actor('tester'))).rejects.toBeInstanceOf(
      AccountClosedError,
    );
  });

  it('issues money as a transfer out of the issuance account, with both entries and its audit event', async () => {
    const a = await open(0);

    const { value: issued } = await transfers.issue({ to: a, amount: 25 }, 'issue-1', actor('treasurer'));
    const replay = await transfers.issue({ to: a, amount: 25 }, 'issue-1', actor('treasurer'));

    expect(issued).toMatchObject({ from: 0, to: a, amount: 25, createdBy: 'treasurer' });
    expect(replay).toEqual({ value: issued, replayed: true });
    expect(metrics.of('issuance')).toEqual([[25]]);
    await expect(transfers.issue({ to: a, amount: 26 }, 'issue-1', actor('treasurer'))).rejects.toThrow(
      'Idempotency-Key issue-1 was already used for a different POST /issuances request',
    );
    expect(await accounts.get(a)).toMatchObject({ balance: 25, version: 2 });
    expect((await transfers.ledger(a, {})).data).toEqual([
      expect.objectContaining({ transferId: issued.id, amount: 25, balanceAfter: 25 }),
    ]);
    const events = await temp.store.db
      .selectFrom('audit_events')
      .select(['type', 'actor', 'request_id', 'subject', 'details'])
      .where('type', '=', 'money.issued')
      .execute();
    expect(events).toEqual([
      {
        type: 'money.issued',
        actor: 'treasurer',
        request_id: 'req-treasurer',
        subject: `accounts/${a}`,
        details: JSON.stringify({ transfer: issued.id, amount: 25 }),
      },
    ]);
    await transfers.issue({ to: a, amount: 5 }, undefined, actor('treasurer'));
    expect(metrics.of('issuance')).toEqual([[25], [5]]);
    await expectLedgersAddUp(temp.store, 30);
  });

  it('issues nothing, and records nothing, to an account that is closed or missing', async () => {
    const a = await open(0);
    await accounts.close(a, undefined, actor('tester'));

    await expect(transfers.issue({ to: a, amount: 1 }, undefined, actor('treasurer'))).rejects.toBeInstanceOf(
      AccountClosedError,
    );
    await expect(transfers.issue({ to: 404, amount: 1 }, undefined, actor('treasurer'))).rejects.toEqual(
      new AccountNotFoundError(404),
    );
    expect(await temp.store.db.selectFrom('transfers').selectAll().execute()).toEqual([]);
    expect(
      await temp.store.db.selectFrom('audit_events').select('type').where('type', '=', 'money.issued').execute(),
    ).toEqual([]);
    await expectLedgersAddUp(temp.store, 0);
  });

  // Separate processes share a SQLite file by taking turns for its write lock,
  // which node:sqlite waits for synchronously: two connections in this one
  // process cannot interleave. PostgreSQL's can, and must not deadlock.
  if (dialect === 'postgres') {
    it('moves money under the row lock: money spent meanwhile refuses the transfer', async () => {
      const a = await open(10);
      const b = await open(0);
      // Another replica's transaction holds a's row, and spends its money before letting go.
      const release = await holdRow(temp, a, { balance: 0, version: 2 });

      const transfer = servicesOn(temp.open(5_000))
        .transfers.create({ from: a, to: b, amount: 10 }, undefined, actor('tester'))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await release();

      expect(await transfer).toBeInstanceOf(OverdraftRefusedError);
      expect(await accounts.get(a)).toMatchObject({ balance: 0, version: 2 });
      expect(await accounts.get(b)).toMatchObject({ balance: 0, version: 1 });
    });

    it("issues under both rows' locks: what another replica committed to either meanwhile is kept", async () => {
      const a = await open(0);
      const issuerBalance = async () =>
        (
          await temp.store.db
            .selectFrom('accounts')
            .select('balance')
            .where('id', '=', ISSUANCE_ACCOUNT_ID)
            .executeTakeFirstOrThrow()
        ).balance;
      for (const [held, change] of [
        [ISSUANCE_ACCOUNT_ID, { balance: -500 }],
        [a, { balance: 7 }],
      ] as const) {
        const release = await holdRow(temp, held, change);
        const issued = servicesOn(temp.open(5_000)).transfers.issue({ to: a, amount: 25 }, undefined, actor('tester'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await release();
        await issued;
      }

      // -500 held, then 25 and 25 issued; a: 25, then 7 held, then 25.
      expect(await issuerBalance()).toBe(-550);
      expect((await accounts.get(a)).balance).toBe(32);
    });

    it('runs opposite transfers on two replicas at once without deadlock or a lost update', async () => {
      const a = await open(1_000);
      const b = await open(1_000);
      const other = servicesOn(temp.open(5_000)).transfers;
      const rounds = Array.from({ length: 40 }, (_, i) => [
        transfers.create({ from: a, to: b, amount: 1 + (i % 3) }, undefined, actor('tester')),
        other.create({ from: b, to: a, amount: 1 + (i % 5) }, undefined, actor('tester')),
      ]).flat();

      const results = await Promise.allSettled(rounds);

      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      await expectLedgersAddUp(temp.store, 2_000);
    });
  }
});

/** Every balance is its entries' sum, within its overdraft, and all of them, issuance account included, sum to zero. */
async function expectLedgersAddUp(store: Store, total: number): Promise<void> {
  const { rows } = await sql<{ id: number; balance: number; entries: number; overdraft_limit: number }>`
    SELECT id, balance, overdraft_limit,
           (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE account_id = accounts.id) AS entries
    FROM accounts`.execute(store.db);
  for (const row of rows) {
    expect(row.balance).toBe(Number(row.entries));
    expect(row.balance).toBeGreaterThanOrEqual(-row.overdraft_limit);
  }
  expect(rows.reduce((sum, row) => sum + row.balance, 0)).toBe(0);
  expect(rows.filter((row) => Number(row.id) !== 0).reduce((sum, row) => sum + row.balance, 0)).toBe(total);
}
