import { holdRow, STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { etagOf } from '../common/http/etag';
import { NO_METRICS } from '../metrics/metrics';
import { IdempotencyKeyReusedError } from '../idempotency/idempotency.errors';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { importSeed } from '../seed/seed-import';
import type { Store } from '../store/store';
import { AccountsCache } from './accounts.cache';
import { AccountClosedError, AccountNotFoundError, BalanceNotZeroError, StaleVersionError } from './accounts.errors';
import { AccountsService } from './accounts.service';
import type { KeyActor } from '../auth/actor.decorator';
import { InsufficientScopeError } from '../auth/auth.errors';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';

const actor = (name: string): KeyActor => ({ name, requestId: `req-${name}`, scope: 'admin' });

describe.each(STORE_DIALECTS)('AccountsService on %s', (dialect) => {
  let temp: TempStore;
  let accounts: AccountsService;

  beforeEach(async () => {
    temp = await tempStore(dialect);
    accounts = new AccountsService(
      temp.store,
      new IdempotencyService(temp.store, storeConfigFor(temp.url), NO_METRICS),
      new AccountsCache(temp.store, NO_METRICS),
      NO_METRICS,
    );
  });
  afterEach(() => temp.dispose());

  const create = (name: string, openingBalance?: number, overdraftLimit?: number, key?: string) =>
    accounts.create({ name, openingBalance, overdraftLimit }, key, actor('tester'));

  it('opens an account with its opening balance, overdraft limit, version 1, no closing time, and who opened it', async () => {
    const { value: body, replayed } = await create('amy', 12, 3);

    expect(replayed).toBe(false);
    expect(body).toEqual({
      id: body.id,
      name: 'amy',
      balance: 12,
      openingBalance: 12,
      overdraftLimit: 3,
      status: 'open',
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updatedAt: body.createdAt,
      closedAt: null,
      createdBy: 'tester',
      updatedBy: null,
    });
    expect(await accounts.get(body.id)).toEqual(body);
  });

  it('opens at zero with no overdraft when neither is given', async () => {
    expect((await create('zed')).value).toMatchObject({ balance: 0, openingBalance: 0, overdraftLimit: 0 });
  });

  it('opens one account for a retried request with the same key', async () => {
    const first = await create('amy', 1, 0, 'open-amy');
    const retry = await create('amy', 1, 0, 'open-amy');

    expect(retry).toEqual({ ...first, replayed: true });
    expect((await accounts.list({})).data).toHaveLength(1);
  });

  it('refuses a key reused for a different account, naming the route', async () => {
    await create('amy', 1, 0, 'k');
    const reuse = create('bob', 1, 0, 'k');

    await expect(reuse).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(reuse).rejects.toThrow('Idempotency-Key k was already used for a different POST /accounts request');
  });

  it('lists the open accounts for POST /, by id, leaving closed ones out', async () => {
    await importSeed(temp.store, 'seed.json', [
      { id: 2, name: 'bob', balance: -1 },
      { id: 1, name: 'joe', balance: 10 },
    ]);
    const { value: body } = await create('gone');
    await accounts.close(body.id, undefined, actor('tester'));

    expect(await accounts.summaries()).toEqual([
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
    ]);
  });

  it('pages every account, closed ones included, by id', async () => {
    for (const name of ['a', 'b', 'c']) await create(name);
    const first = await accounts.list({ limit: 2 });

    expect(first.data.map((account) => account.name)).toEqual(['a', 'b']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await accounts.list({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ data: [expect.objectContaining({ name: 'c' })], nextCursor: null });
    expect((await accounts.list({})).nextCursor).toBeNull();
  });

  it('answers AccountNotFoundError for an unknown id, on every route', async () => {
    await expect(accounts.get(404)).rejects.toEqual(new AccountNotFoundError(404));
    await expect(accounts.rename(404, 'x', undefined, actor('tester'))).rejects.toBeInstanceOf(AccountNotFoundError);
    await expect(accounts.close(404, undefined, actor('tester'))).rejects.toBeInstanceOf(AccountNotFoundError);
    await expect(accounts.get(404)).rejects.toThrow('Account 404 does not exist');
  });

  it('renames, bumping the version and the update time, and records who renamed it', async () => {
    const { value: body } = await create('amy');

    const renamed = await accounts.rename(body.id, 'amelia', etagOf(1), actor('renamer'));

    expect(renamed).toMatchObject({
      name: 'amelia',
      version: 2,
      createdAt: body.createdAt,
      createdBy: 'tester',
      updatedBy: 'renamer',
    });
    expect(renamed.updatedAt >= body.updatedAt).toBe(true);
    expect(await accounts.get(body.id)).toEqual(renamed);
  });

  it('leaves the version alone when the name does not change', async () => {
    const { value: body } = await create('amy');
    expect(await accounts.rename(body.id, 'amy', undefined, actor('tester'))).toEqual(body);
  });

  it('refuses a stale If-Match on rename and close, naming the current ETag, and changes nothing', async () => {
    const { value: body } = await create('amy');
    await accounts.rename(body.id, 'amelia', undefined, actor('tester'));

    const stale = accounts.rename(body.id, 'bea', '"1"', actor('tester'));
    await expect(stale).rejects.toBeInstanceOf(StaleVersionError);
    await expect(stale).rejects.toThrow(
      'If-Match "1" does not match the current ETag "2"; GET the resource again and retry with its ETag',
    );
    await expect(accounts.close(body.id, '"1"', actor('tester'))).rejects.toBeInstanceOf(StaleVersionError);
    expect(await accounts.get(body.id)).toMatchObject({ name: 'amelia', version: 2, status: 'open' });
  });

  it('closes a zero balance once, bumping the version, records who closed it, and keeps the account readable', async () => {
    const { value: body } = await create('amy');

    await accounts.close(body.id, etagOf(1), actor('closer'));
    const closed = await accounts.get(body.id);
    await accounts.close(body.id, undefined, actor('again'));

    expect(closed).toMatchObject({ status: 'closed', version: 2, closedAt: closed.updatedAt, updatedBy: 'closer' });
    expect(await accounts.get(body.id)).toEqual(closed);
  });

  it('refuses to close a non-zero balance and to rename a closed account', async () => {
    const rich = (await create('rich', 5)).value;
    const done = (await create('done')).value;
    await accounts.close(done.id, undefined, actor('tester'));

    await expect(accounts.close(rich.id, undefined, actor('tester'))).rejects.toBeInstanceOf(BalanceNotZeroError);
    await expect(accounts.rename(done.id, 'again', undefined, actor('tester'))).rejects.toBeInstanceOf(
      AccountClosedError,
    );
    expect(await accounts.get(rich.id)).toMatchObject({ status: 'open', version: 1 });
    expect(await accounts.get(done.id)).toMatchObject({ name: 'done', version: 2 });
  });

  it('refuses a write key an opening balance or an overdraft, naming the scope, and opens nothing', async () => {
    const writer: KeyActor = { name: 'batch', requestId: null, scope: 'write' };

    for (const opening of [{ openingBalance: 5 }, { overdraftLimit: 5 }]) {
      await expect(accounts.create({ name: 'rich', ...opening }, undefined, writer)).rejects.toBeInstanceOf(
        InsufficientScopeError,
      );
    }
    expect((await accounts.list({})).data).toEqual([]);
    expect((await accounts.create({ name: 'empty' }, undefined, writer)).value).toMatchObject({ balance: 0 });
  });

  // Row locks matter where two connections can interleave: PostgreSQL. A
  // SQLite transaction holds the whole file's write lock from its start.
  if (dialect === 'postgres') {
    /** The service on a connection that waits up to 5 s for a lock. */
    const patientService = () => {
      const store: Store = temp.open(5_000);
      return new AccountsService(
        store,
        new IdempotencyService(store, storeConfigFor(temp.url), NO_METRICS),
        new AccountsCache(store, NO_METRICS),
        NO_METRICS,
      );
    };
    const moment = () => new Promise((resolve) => setTimeout(resolve, 100));
    /** What `write` fails with, or undefined if it succeeds; handled at once, so an early failure is not an unhandled rejection. */
    const failureOf = (write: Promise<unknown>) =>
      write.then(
        () => undefined,
        (error: unknown) => error,
      );

    it('renames under the row lock: a rename committed meanwhile makes the If-Match stale', async () => {
      const { value: body } = await create('amy');
      const release = await holdRow(temp, body.id, { name: 'bea', version: 2 });

      const rename = failureOf(patientService().rename(body.id, 'cat', etagOf(1), actor('tester')));
      await moment();
      await release();

      expect(await rename).toBeInstanceOf(StaleVersionError);
      expect(await accounts.get(body.id)).toMatchObject({ name: 'bea', version: 2 });
    });

    it('closes under the row lock: money that arrived meanwhile refuses the close', async () => {
      const { value: body } = await create('amy');
      const release = await holdRow(temp, body.id, { balance: 5, version: 2 });

      const close = failureOf(patientService().close(body.id, undefined, actor('tester')));
      await moment();
      await release();

      expect(await close).toBeInstanceOf(BalanceNotZeroError);
      expect(await accounts.get(body.id)).toMatchObject({ status: 'open', balance: 5 });
    });

    it('issues an opening balance under the issuance account lock: an issuance committed meanwhile is kept', async () => {
      // Another replica's issuance holds account 0, and has taken 1,000 from it by the time it lets go.
      const release = await holdRow(temp, ISSUANCE_ACCOUNT_ID, { balance: -1_000 });

      const opened = patientService().create({ name: 'amy', openingBalance: 10 }, undefined, actor('tester'));
      await moment();
      await release();
      await opened;

      const issuer = await temp.store.db
        .selectFrom('accounts')
        .select('balance')
        .where('id', '=', ISSUANCE_ACCOUNT_ID)
        .executeTakeFirstOrThrow();
      expect(issuer.balance).toBe(-1_010);
    });

    it('reads an account without waiting for a writer that holds its row', async () => {
      const { value: body } = await create('amy');
      const release = await holdRow(temp, body.id);
      try {
        expect(await accounts.get(body.id)).toEqual(body);
      } finally {
        await release();
      }
    });
  }
});
