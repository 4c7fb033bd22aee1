import { STORE_DIALECTS, storeConfigFor, tempStore, type TempStore } from '../../test/support/stores';
import { AccountsCache } from '../accounts/accounts.cache';
import { AccountClosedError } from '../accounts/accounts.errors';
import { AccountsService } from '../accounts/accounts.service';
import type { KeyActor } from '../auth/actor.decorator';
import { generateKey, parseKey } from '../auth/api-key';
import { ApiKeysService } from '../auth/api-keys.service';
import { KeyNameTakenError, LastAdminKeyError } from '../auth/auth.errors';
import { InvalidCursorError } from '../common/paging/keyset';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { NO_METRICS } from '../metrics/metrics';
import { importSeed } from '../seed/seed-import';
import { SYSTEM_ACTORS } from './audit-trail';
import { AuditService } from './audit.service';

const OPS: KeyActor = { name: 'ops', requestId: 'req-ops-1', scope: 'admin' };
const BATCH: KeyActor = { name: 'batch', requestId: 'req-batch-1', scope: 'admin' };

describe.each(STORE_DIALECTS)('the audit trail on %s', (dialect) => {
  let temp: TempStore;
  let accounts: AccountsService;
  let keys: ApiKeysService;
  let audit: AuditService;

  beforeEach(async () => {
    temp = await tempStore(dialect, { busyTimeoutMs: 5_000 });
    accounts = new AccountsService(
      temp.store,
      new IdempotencyService(temp.store, storeConfigFor(temp.url), NO_METRICS),
      new AccountsCache(temp.store, NO_METRICS),
      NO_METRICS,
    );
    keys = new ApiKeysService(temp.store);
    audit = new AuditService(temp.store);
  });
  afterEach(() => temp.dispose());

  const events = async (query = {}) =>
    (await audit.list(query)).data.map(({ type, actor, requestId, subject, details }) => ({
      type,
      actor,
      requestId,
      subject,
      details,
    }));

  it('records an account opened, renamed and closed, with who, which request, and what changed', async () => {
    const { value } = await accounts.create({ name: 'amy', openingBalance: 0, overdraftLimit: 5 }, undefined, BATCH);
    await accounts.rename(value.id, 'amelia', undefined, OPS);
    await accounts.close(value.id, undefined, OPS);

    expect(await events()).toEqual([
      {
        type: 'account.opened',
        actor: 'batch',
        requestId: 'req-batch-1',
        subject: `accounts/${value.id}`,
        details: { name: 'amy', openingBalance: 0, overdraftLimit: 5 },
      },
      {
        type: 'account.renamed',
        actor: 'ops',
        requestId: 'req-ops-1',
        subject: `accounts/${value.id}`,
        details: { from: 'amy', to: 'amelia' },
      },
      { type: 'account.closed', actor: 'ops', requestId: 'req-ops-1', subject: `accounts/${value.id}`, details: {} },
    ]);
    const [opened] = (await audit.list({})).data;
    expect(opened.id).toBeGreaterThan(0);
    expect(Date.parse(opened.occurredAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records an opening balance as money issued, after the opening, with the transfer that issued it', async () => {
    const { value } = await accounts.create({ name: 'amy', openingBalance: 12 }, undefined, OPS);

    const [transfer] = await temp.store.db.selectFrom('transfers').select('id').where('to_id', '=', value.id).execute();
    expect((await events()).map(({ type, subject, details }) => ({ type, subject, details }))).toEqual([
      {
        type: 'account.opened',
        subject: `accounts/${value.id}`,
        details: { name: 'amy', openingBalance: 12, overdraftLimit: 0 },
      },
      { type: 'money.issued', subject: `accounts/${value.id}`, details: { transfer: transfer.id, amount: 12 } },
    ]);
  });

  it('writes nothing for a change that changed nothing, was refused, or was a replay', async () => {
    const { value } = await accounts.create({ name: 'amy' }, 'open-amy', BATCH);
    await accounts.create({ name: 'amy' }, 'open-amy', BATCH);
    await accounts.rename(value.id, 'amy', undefined, OPS);
    await accounts.close(value.id, undefined, OPS);
    await accounts.close(value.id, undefined, OPS);
    await expect(accounts.rename(value.id, 'bea', undefined, OPS)).rejects.toBeInstanceOf(AccountClosedError);

    expect((await events()).map((event) => event.type)).toEqual(['account.opened', 'account.closed']);
  });

  it('takes the change with it when its event cannot be written: both commit, or neither', async () => {
    const nameless = { name: null, requestId: null, scope: 'admin' } as unknown as KeyActor;
    await expect(accounts.create({ name: 'amy' }, undefined, nameless)).rejects.toThrow();

    expect(await temp.store.db.selectFrom('accounts').selectAll().where('id', '>', 0).execute()).toEqual([]);
    expect(await events()).toEqual([]);
  });

  it('records keys made and revoked, with the revoker on the key too, and nothing for a refused or repeated change', async () => {
    await keys.create('root', 'admin', SYSTEM_ACTORS.cli);
    await keys.create('reader', 'read', OPS);
    await expect(keys.create('reader', 'admin', OPS)).rejects.toBeInstanceOf(KeyNameTakenError);
    expect((await keys.revoke('reader', OPS)).revokedBy).toBe('ops');
    await keys.revoke('reader', BATCH);
    await expect(keys.revoke('root', OPS)).rejects.toBeInstanceOf(LastAdminKeyError);

    expect(await events()).toEqual([
      { type: 'key.created', actor: 'cli', requestId: null, subject: 'keys/root', details: { scope: 'admin' } },
      { type: 'key.created', actor: 'ops', requestId: 'req-ops-1', subject: 'keys/reader', details: { scope: 'read' } },
      { type: 'key.revoked', actor: 'ops', requestId: 'req-ops-1', subject: 'keys/reader', details: {} },
    ]);
    expect((await keys.list()).map((key) => [key.name, key.revokedBy])).toEqual([
      ['root', null],
      ['reader', 'ops'],
    ]);
  });

  it('records the bootstrap key adopted once, as bootstrap', async () => {
    const parsed = parseKey(generateKey())!;
    await keys.adopt('bootstrap', 'admin', parsed);
    await keys.adopt('bootstrap', 'admin', parsed);

    expect(await events()).toEqual([
      {
        type: 'key.created',
        actor: 'bootstrap',
        requestId: null,
        subject: 'keys/bootstrap',
        details: { scope: 'admin' },
      },
    ]);
  });

  it('records each seed import, and keeps the trail when the seed replaces everything else', async () => {
    const seed = [{ id: 1, name: 'joe', balance: 10 }];
    await importSeed(temp.store, 'seed.json', seed);
    await importSeed(temp.store, 'seed.json', seed);
    await accounts.create({ name: 'amy' }, undefined, BATCH);
    await importSeed(temp.store, 'seed.json', seed, { replace: true, by: SYSTEM_ACTORS.cli });

    const trail = await events();
    expect(trail.map((event) => [event.type, event.actor, event.details.replaced])).toEqual([
      ['seed.imported', 'seed', false],
      ['account.opened', 'batch', undefined],
      ['seed.imported', 'cli', true],
    ]);
    expect(trail[0]).toMatchObject({ subject: 'seed', details: { file: 'seed.json', accounts: 1 } });
  });

  it('refuses to change or delete an event, whoever asks', async () => {
    await keys.create('root', 'admin', OPS);

    await expect(temp.store.db.updateTable('audit_events').set({ actor: 'someone-else' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(temp.store.db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
    expect(await events()).toHaveLength(1);
  });

  it('lists a page at a time, oldest first, filtered by actor and by type', async () => {
    for (const name of ['a', 'b', 'c']) await accounts.create({ name }, undefined, BATCH);
    await keys.create('reader', 'read', OPS);
    await accounts.rename(1, 'aa', undefined, OPS);

    const first = await audit.list({ limit: 2 });
    expect(first.data.map((event) => event.subject)).toEqual(['accounts/1', 'accounts/2']);
    const rest = await audit.list({ limit: 10, cursor: first.nextCursor! });
    expect(rest.data.map((event) => event.subject)).toEqual(['accounts/3', 'keys/reader', 'accounts/1']);
    expect(rest.nextCursor).toBeNull();

    expect((await audit.list({ actor: 'ops' })).data.map((event) => event.type)).toEqual([
      'key.created',
      'account.renamed',
    ]);
    expect((await audit.list({ type: 'account.opened', actor: 'batch', limit: 2 })).data).toHaveLength(2);
    expect((await audit.list({ type: 'account.closed' })).data).toEqual([]);
    await expect(audit.list({ cursor: 'bm9wZQ' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
