import { STORE_DIALECTS, tempStore, type TempStore } from '../../test/support/stores';
import { StoreUnavailableError } from '../store/store.errors';
import { generateKey, parseKey, sha256 } from './api-key';
import { ApiKeysService, KEY_CACHE_MS, LAST_USED_INTERVAL_MS } from './api-keys.service';
import { KeyNameTakenError, KeyNotFoundError, LastAdminKeyError, UnauthenticatedError } from './auth.errors';
import type { Actor } from '../audit/audit-trail';

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'authenticated',
    (error: unknown) => (error instanceof UnauthenticatedError ? error.reason : String(error)),
  );

const ADMIN: Actor = { name: 'ops', requestId: 'req-1' };

describe.each(STORE_DIALECTS)('ApiKeysService on %s', (dialect) => {
  let temp: TempStore;
  let keys: ApiKeysService;

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    keys = new ApiKeysService(temp.store);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await temp.dispose();
  });

  it('makes a key that authenticates as its name and scope, and shows the key only in that answer', async () => {
    const created = await keys.create('ci', 'write', ADMIN);

    expect(created).toEqual({
      name: 'ci',
      scope: 'write',
      key: expect.stringMatching(/^acckey_[0-9a-f]{76}$/),
      createdAt: expect.stringMatching(/Z$/),
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    const { key: _shownOnce, ...listed } = created;
    expect(await keys.list()).toEqual([listed]);
    expect(await keys.authenticate(created.key)).toEqual({ name: 'ci', scope: 'write' });
  });

  it('stores only the lookup id and the SHA-256 of the key, never the key', async () => {
    const { key } = await keys.create('ci', 'read', ADMIN);
    const rows = await temp.store.db.selectFrom('api_keys').selectAll().execute();

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ lookup_id: parseKey(key)!.lookupId, secret_sha256: sha256(key).toString('hex') });
    expect(JSON.stringify(rows)).not.toContain(key.slice('acckey_'.length + 12));
  });

  it('refuses a taken name, even once that key is revoked', async () => {
    await keys.create('ci', 'read', ADMIN);
    await expect(keys.create('ci', 'admin', ADMIN)).rejects.toEqual(new KeyNameTakenError('ci'));
    await keys.revoke('ci', ADMIN);
    await expect(keys.create('ci', 'read', ADMIN)).rejects.toBeInstanceOf(KeyNameTakenError);
    expect(await keys.list()).toHaveLength(1);
  });

  it('fails malformed, unknown, wrong and revoked keys alike, naming the key in the reason only when it is known', async () => {
    const { key } = await keys.create('ci', 'read', ADMIN);
    const wrongSecret = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const revoked = (await keys.create('gone', 'read', ADMIN)).key;
    await keys.revoke('gone', ADMIN);

    expect(await reasonOf(keys.authenticate(revoked))).toBe('key "gone" is revoked');
    expect(await reasonOf(keys.authenticate('not a key'))).toBe('malformed key');
    expect(await reasonOf(keys.authenticate(generateKey()))).toBe('unknown key');
    expect(await reasonOf(keys.authenticate(wrongSecret))).toBe('wrong secret for key "ci"');
    const failures = await Promise.all(
      [revoked, 'not a key', generateKey(), wrongSecret].map((k) =>
        keys.authenticate(k).catch((e: UnauthenticatedError) => e.failure),
      ),
    );
    expect(failures).toEqual(['revoked_key', 'malformed_key', 'unknown_key', 'wrong_secret']);
    const messages = await Promise.all(
      ['not a key', generateKey(), wrongSecret].map((k) => keys.authenticate(k).catch((e: Error) => e.message)),
    );
    expect(new Set(messages)).toEqual(
      new Set(['A valid API key is required: send it as "Authorization: Bearer <key>"']),
    );
  });

  it('keeps the last admin key that is not revoked, and revokes an admin key while another remains', async () => {
    const first = await keys.create('first', 'admin', ADMIN);
    await keys.create('reader', 'read', ADMIN);
    await expect(keys.revoke('first', ADMIN)).rejects.toEqual(new LastAdminKeyError('first'));
    expect(await keys.authenticate(first.key)).toEqual({ name: 'first', scope: 'admin' });

    await keys.create('second', 'admin', ADMIN);
    expect((await keys.revoke('first', ADMIN)).revokedAt).toEqual(expect.stringMatching(/Z$/));
    await expect(keys.revoke('second', ADMIN)).rejects.toBeInstanceOf(LastAdminKeyError);
    expect((await keys.revoke('first', ADMIN)).name).toBe('first');
    expect((await keys.revoke('reader', ADMIN)).revokedAt).not.toBeNull();
    expect((await keys.list()).filter((k) => k.scope === 'admin' && k.revokedAt === null).map((k) => k.name)).toEqual([
      'second',
    ]);
  });

  // On SQLite every transaction takes the file's write lock first (BEGIN
  // IMMEDIATE), so revocations take turns by construction; two connections in
  // one process would only wait on each other's busy timeout.
  if (dialect === 'postgres') {
    it('lets only one of two replicas revoking the last two admin keys at once succeed', async () => {
      await keys.create('one', 'admin', ADMIN);
      await keys.create('two', 'admin', ADMIN);
      const other = new ApiKeysService(temp.open(5_000));
      // A third session holds every key row, so that both revocations are
      // under way, each having read the admin keys, before either can write.
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked = () => {};
      const holding = new Promise<void>((resolve) => (locked = resolve));
      const blocker = temp
        .open(5_000)
        .db.transaction()
        .execute(async (trx) => {
          await trx.selectFrom('api_keys').select('id').forUpdate().execute();
          locked();
          await held;
        });
      await holding;

      const revoking = Promise.allSettled([keys.revoke('one', ADMIN), other.revoke('two', ADMIN)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await blocker;
      const outcomes = await revoking;

      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: expect.any(LastAdminKeyError) });
      expect((await keys.list()).filter((k) => k.revokedAt === null)).toHaveLength(1);
    });
  }

  it('lets a revocation on one replica reach another within the cache time', async () => {
    const { key } = await keys.create('ci', 'read', ADMIN);
    const other = new ApiKeysService(temp.open(5_000));
    expect(await other.authenticate(key)).toMatchObject({ name: 'ci' });

    const revoked = await keys.revoke('ci', ADMIN);
    expect(revoked.revokedAt).toEqual(expect.stringMatching(/Z$/));
    await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_MS + 50));

    expect(await reasonOf(other.authenticate(key))).toBe('key "ci" is revoked');
    expect(KEY_CACHE_MS).toBeLessThan(1_000);
  });

  it('trusts a key row it read for KEY_CACHE_MS, and reads it again after', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout'],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const { key } = await keys.create('ci', 'read', ADMIN);
    await keys.authenticate(key);
    // Revoked through another replica: this one has not read the row since.
    await new ApiKeysService(temp.open(5_000)).revoke('ci', ADMIN);

    jest.setSystemTime(new Date(Date.parse('2026-01-01T00:00:00Z') + KEY_CACHE_MS - 1));
    expect(await keys.authenticate(key)).toMatchObject({ name: 'ci' });
    jest.setSystemTime(new Date(Date.parse('2026-01-01T00:00:00Z') + KEY_CACHE_MS));
    expect(await reasonOf(keys.authenticate(key))).toBe('key "ci" is revoked');
  });

  it('refuses a revoked key at once on the replica that revoked it', async () => {
    const { key } = await keys.create('ci', 'read', ADMIN);
    const { key: other } = await keys.create('other', 'read', ADMIN);
    await keys.authenticate(key);
    await keys.authenticate(other);

    // Revoked elsewhere: this replica's row for it stays trusted until it expires.
    await new ApiKeysService(temp.open(5_000)).revoke('other', ADMIN);

    await keys.revoke('ci', ADMIN);

    expect(await reasonOf(keys.authenticate(key))).toBe('key "ci" is revoked');
    expect(await keys.authenticate(other)).toMatchObject({ name: 'other' });
  });

  it('revokes once: a second revoke keeps the first time; an unknown name is KeyNotFoundError', async () => {
    await keys.create('ci', 'read', ADMIN);
    const first = await keys.revoke('ci', ADMIN);
    expect(await keys.revoke('ci', ADMIN)).toEqual(first);
    await expect(keys.revoke('nobody', ADMIN)).rejects.toEqual(new KeyNotFoundError('nobody'));
  });

  it('records the last use at most once a minute per replica', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout'],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const { key } = await keys.create('ci', 'read', ADMIN);
    const lastUsed = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return (await keys.list())[0].lastUsedAt;
    };

    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-01-01T00:00:00.000Z');
    jest.setSystemTime(new Date(Date.parse('2026-01-01T00:00:00Z') + LAST_USED_INTERVAL_MS - 1));
    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-01-01T00:00:00.000Z');
    jest.setSystemTime(new Date(Date.parse('2026-01-01T00:00:00Z') + LAST_USED_INTERVAL_MS));
    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('adopts a key made elsewhere once, and not under a name another key has', async () => {
    const key = parseKey(generateKey())!;
    expect(await keys.adopt('bootstrap', 'admin', key)).toBe('stored');
    expect(await keys.adopt('bootstrap', 'admin', key)).toBe('known');
    expect(await keys.adopt('bootstrap', 'admin', parseKey(generateKey())!)).toBe('name_taken');
    expect(await keys.list()).toEqual([expect.objectContaining({ name: 'bootstrap', scope: 'admin' })]);
  });

  it('answers StoreUnavailableError, not a failed authentication, when the store cannot be read', async () => {
    const { key } = await keys.create('ci', 'read', ADMIN);
    const cold = new ApiKeysService(temp.open(5_000));
    await temp.store.close();
    const closed = new ApiKeysService(temp.store);

    await expect(closed.authenticate(key)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await cold.authenticate(key)).toMatchObject({ name: 'ci' });
  });
});
