import { sql } from 'kysely';
import { STORE_DIALECTS, tempStore, type TempStore } from '../../test/support/stores';
import { ConstraintViolationError } from './store.errors';

const NOW = new Date().toISOString();

/**
 * Every rule the schema holds, broken once by a row the api's own checks
 * would have refused: each must come back as ConstraintViolationError (a 409
 * naming the rule), never as a driver's error that the filter answers with
 * a bare 500, and must leave nothing behind.
 */
describe.each(STORE_DIALECTS)('the rules of the %s store', (dialect) => {
  let temp: TempStore;
  beforeAll(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    await sql`INSERT INTO accounts (id, name, opening_balance, balance, created_at, updated_at)
      VALUES (1, 'joe', 10, 10, ${NOW}, ${NOW}), (2, 'bob', 0, 0, ${NOW}, ${NOW})`.execute(temp.store.db);
    await sql`INSERT INTO transfers (id, from_id, to_id, amount, created_at) VALUES (1, 1, 2, 5, ${NOW})`.execute(
      temp.store.db,
    );
    await sql`INSERT INTO api_keys (name, scope, lookup_id, secret_sha256, created_at)
      VALUES ('ci', 'read', 'aaaaaaaaaaaa', ${'0'.repeat(64)}, ${NOW})`.execute(temp.store.db);
  });
  afterAll(() => temp.dispose());

  const account = (name: unknown, overdraft = 0) =>
    sql`INSERT INTO accounts (name, opening_balance, balance, overdraft_limit, created_at, updated_at)
      VALUES (${name}, 0, 0, ${overdraft}, ${NOW}, ${NOW})`;
  const key = (name: string, scope: string, lookupId: string) =>
    sql`INSERT INTO api_keys (name, scope, lookup_id, secret_sha256, created_at)
      VALUES (${name}, ${scope}, ${lookupId}, ${'1'.repeat(64)}, ${NOW})`;
  const transfer = (from: number, to: number, amount: number) =>
    sql`INSERT INTO transfers (from_id, to_id, amount, created_at) VALUES (${from}, ${to}, ${amount}, ${NOW})`;
  const entry = (accountId: number, transferId: number, amount: number) =>
    sql`INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, created_at)
      VALUES (${accountId}, ${transferId}, ${amount}, 0, ${NOW})`;

  const broken: [string, ReturnType<typeof sql>][] = [
    ['an empty account name', account('')],
    ['an account name of 101 characters', account('x'.repeat(101))],
    ['a NUL as the account name', account('\u0000')],
    ['a NULL account name', account(null)],
    ['a negative overdraft limit', account('amy', -1)],
    ['a transfer of 0', transfer(1, 2, 0)],
    ['a transfer from an account to itself', transfer(1, 1, 5)],
    ['a transfer to an account that does not exist', transfer(1, 99, 5)],
    ['a ledger entry of 0', entry(1, 1, 0)],
    ['a ledger entry for a transfer that does not exist', entry(1, 99, 5)],
    ['a key name taken', key('ci', 'read', 'bbbbbbbbbbbb')],
    ['a key lookup id taken', key('other', 'read', 'aaaaaaaaaaaa')],
    ['a key scope that does not exist', key('root', 'root', 'cccccccccccc')],
    ['an account id taken', sql`UPDATE accounts SET id = 1 WHERE id = 2`],
  ];

  it.each(broken)('refuses %s as ConstraintViolationError, saving nothing', async (_what, statement) => {
    const counts = () =>
      Promise.all(
        (['accounts', 'transfers', 'ledger_entries', 'api_keys'] as const).map((table) =>
          temp.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
        ),
      );
    const before = await counts();

    const refused = temp.store.transaction((trx) => statement.execute(trx));

    await expect(refused).rejects.toBeInstanceOf(ConstraintViolationError);
    await expect(refused).rejects.toThrow(/^The store refused the change under its rule "[^"]+"/);
    expect(await counts()).toEqual(before);
  });
});
