import { sql } from 'kysely';
import { storeConfigFor, tempStore, type TempStore } from '../../../test/support/stores';
import { StoreUnavailableError } from '../store.errors';
import { PostgresStore } from './postgres.store';

/** What the contract specs (store.contract.spec.ts) cannot see through openStore: the pool's settings and its error listeners. */
const NOW = new Date().toISOString();

describe('PostgresStore', () => {
  let temp: TempStore;
  beforeEach(async () => (temp = await tempStore('postgres')));
  afterEach(() => temp.dispose());

  /** A store of its own on the temporary database, as openStore would make it, with `onConnectionError` or none. */
  const storeWith = (onConnectionError?: (error: Error) => void) => {
    const { location, password } = storeConfigFor(temp.url);
    return new PostgresStore({
      url: (location as { url: URL }).url,
      password,
      busyTimeoutMs: 1_000,
      poolSize: 1,
      ...(onConnectionError ? { onConnectionError } : {}),
    });
  };
  const pidOf = async (db: PostgresStore['db']) =>
    (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0].pid;
  /** What a restart or a fast shutdown does to a session: from another connection. */
  const terminate = (pid: number) => sql`SELECT pg_terminate_backend(${pid})`.execute(temp.store.db);
  /** pg hears of it on the socket's close, a moment later. */
  const until = async (done: () => boolean, ms: number) => {
    for (let waited = 0; waited < ms && !done(); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it('limits lock waits to the busy timeout, and statements and idle transactions to five times it, and names the api in each session', async () => {
    const { rows } = await sql<{ lock: string; statement: string; idle: string; name: string }>`
      SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement,
             current_setting('idle_in_transaction_session_timeout') AS idle,
             current_setting('application_name') AS name`.execute(temp.store.db);
    expect(rows).toEqual([{ lock: '200ms', statement: '1s', idle: '1s', name: 'accounts-api' }]);
  });

  it('frees the row locks of a transaction its client left open, as a replica on a dead node does', async () => {
    const other = temp.open(5_000);
    try {
      await temp.store.db
        .insertInto('accounts')
        .values({ name: 'a', opening_balance: 0, balance: 0, created_at: NOW, updated_at: NOW })
        .execute();
      const held = await temp.store.db.connection().execute(async (connection) => {
        await sql`BEGIN`.execute(connection);
        await sql`SELECT id FROM accounts FOR UPDATE`.execute(connection);
        // Idle in the transaction, holding the lock, past the server's limit.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return sql`SELECT 1`.execute(connection).then(
          () => 'still open',
          (error: Error) => error.message,
        );
      });
      expect(held).toMatch(/idle-in-transaction timeout|terminat|unavailable/i);
      await expect(other.db.updateTable('accounts').set({ name: 'b' }).execute()).resolves.toBeDefined();
    } finally {
      await other.close();
    }
  });

  it('names its dialect, and where it is without the password', async () => {
    const store = new PostgresStore({
      url: new URL('postgres://accounts:secret@127.0.0.1:9/accounts'),
      busyTimeoutMs: 100,
      poolSize: 1,
    });
    try {
      expect(store.dialect).toBe('postgres');
      expect(store.location).toBe('postgres://accounts:***@127.0.0.1:9/accounts');
    } finally {
      await store.close();
    }
  });

  it("connects with the password in the URL when no password file is given, and with the file's when it is", async () => {
    const withUrlPassword = new PostgresStore({ url: new URL(temp.url), busyTimeoutMs: 1_000, poolSize: 1 });
    const wrongInUrl = new URL(temp.url);
    wrongInUrl.password = 'wrong';
    const { password } = storeConfigFor(temp.url);
    const withFile = new PostgresStore({ url: wrongInUrl, password, busyTimeoutMs: 1_000, poolSize: 1 });
    try {
      expect(new URL(temp.url).password).not.toBe('');
      expect(await pidOf(withUrlPassword.db)).toEqual(expect.any(Number));
      expect(await pidOf(withFile.db)).toEqual(expect.any(Number));
    } finally {
      await withUrlPassword.close();
      await withFile.close();
    }
  });

  it('tells the handler when the server drops an idle connection, and opens a new one', async () => {
    const onConnectionError = jest.fn();
    const store = storeWith(onConnectionError);
    try {
      const pid = await pidOf(store.db);
      await terminate(pid);
      await until(() => onConnectionError.mock.calls.length > 0, 2_000);

      expect(onConnectionError).toHaveBeenCalledWith(
        expect.objectContaining({ message: expect.stringMatching(/terminat/) }),
      );
      expect(await pidOf(store.db)).not.toBe(pid);
    } finally {
      await store.close();
    }
  });

  it('tells the handler when the server drops a connection a transaction holds between two queries', async () => {
    const onConnectionError = jest.fn();
    const store = storeWith(onConnectionError);
    try {
      const failure = store.transaction(async (trx) => {
        await terminate(await pidOf(trx));
        await until(() => onConnectionError.mock.calls.length > 0, 2_000);
        await trx.selectFrom('accounts').selectAll().execute();
      });

      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(onConnectionError).toHaveBeenCalledWith(
        expect.objectContaining({ message: expect.stringMatching(/terminat/) }),
      );
    } finally {
      await store.close();
    }
  });

  it('keeps running without a handler when the server drops connections', async () => {
    const store = storeWith();
    try {
      const pid = await pidOf(store.db);
      await terminate(pid);
      await until(() => false, 300);
      const failure = store.transaction(async (trx) => {
        await terminate(await pidOf(trx));
        await until(() => false, 300);
        await trx.selectFrom('accounts').selectAll().execute();
      });
      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);

      expect(await pidOf(store.db)).not.toBe(pid);
    } finally {
      await store.close();
    }
  });
});
