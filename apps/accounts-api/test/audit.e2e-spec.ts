import request from 'supertest';
import { TestApp } from './support/app';

interface Listed {
  data: { type: string; actor: string; requestId: string | null; subject: string; details: Record<string, unknown> }[];
  next: string | null;
}

describe('the audit trail over HTTP (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = new TestApp();
    await t.boot();
  });
  afterEach(() => t.dispose());

  it('lists who changed what, with the request id that both access logs carry, for admin keys only', async () => {
    const made = await t.api
      .post('/keys')
      .set('X-Request-Id', 'make-payroll')
      .send({ name: 'payroll', scope: 'write' });
    expect(made.status).toBe(201);
    const payroll = made.body.key as string;
    const opened = await request(t.server)
      .post('/accounts')
      .set('Authorization', `Bearer ${payroll}`)
      .send({ name: 'amy' })
      .expect(201);
    const revoked = await t.api.delete('/keys/payroll').expect(200);
    expect(revoked.body.revokedBy).toBe('bootstrap');

    const trail = await t.api.get('/audit').expect(200);
    expect(
      (trail.body as Listed).data.map(({ type, actor, requestId, subject }) => [type, actor, requestId, subject]),
    ).toEqual([
      ['seed.imported', 'seed', null, 'seed'],
      ['key.created', 'bootstrap', null, 'keys/bootstrap'],
      ['key.created', 'bootstrap', 'make-payroll', 'keys/payroll'],
      ['account.opened', 'payroll', opened.headers['x-request-id'], `accounts/${opened.body.id}`],
      ['key.revoked', 'bootstrap', revoked.headers['x-request-id'], 'keys/payroll'],
    ]);

    const writer = await t.key('write');
    const refused = await request(t.server).get('/audit').set('Authorization', `Bearer ${writer}`).expect(403);
    expect(refused.body.message).toMatch(/admin/);
  });

  it('filters by actor and type, and keeps the filters on the next page', async () => {
    for (const name of ['a', 'b', 'c']) await t.api.post('/accounts').send({ name }).expect(201);

    const first = await t.api.get('/audit').query({ type: 'account.opened', actor: 'bootstrap', limit: 2 }).expect(200);
    const page = first.body as Listed;
    expect(page.data.map((event) => event.details.name)).toEqual(['a', 'b']);
    expect(page.next).toMatch(/^\/audit\?limit=2&cursor=[\w-]+&actor=bootstrap&type=account.opened$/);
    const second = (await t.api.get(page.next!).expect(200)).body as Listed;
    expect(second.data.map((event) => event.details.name)).toEqual(['c']);
    expect(second.next).toBeNull();
  });

  it('refuses an unknown type, saying which there are, and any method but GET', async () => {
    const bad = await t.api.get('/audit').query({ type: 'account.deleted' }).expect(400);
    expect(bad.body.message).toBe(
      'type must be one of key.created, key.revoked, account.opened, account.renamed, account.closed, money.issued, seed.imported',
    );
    const post = await t.api.post('/audit').send({}).expect(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('keeps the names of changes made without a key for those changes: no key may be named seed or cli', async () => {
    for (const name of ['seed', 'cli']) {
      const res = await t.api.post('/keys').send({ name, scope: 'read' }).expect(400);
      expect(res.body.message).toBe(
        'name must not be seed or cli: the audit trail names changes made without a key so',
      );
    }
  });
});
