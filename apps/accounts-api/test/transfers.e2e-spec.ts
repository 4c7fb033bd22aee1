import { TestApp } from './support/app';

describe('transfers (e2e)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = new TestApp();
    await t.boot();
  });
  afterEach(() => t.dispose());

  const balances = async () =>
    ((await t.api.post('/').expect(200)).body as { id: number; balance: number }[]).map((a) => a.balance);

  it('moves money atomically and lists it in both ledgers', async () => {
    const res = await t.api.post('/transfers').send({ from: 3, to: 2, amount: 15 }).expect(201);

    expect(res.headers.location).toBe(`/transfers/${res.body.id}`);
    expect(res.body).toMatchObject({ from: 3, to: 2, amount: 15 });
    expect(await balances()).toEqual([10, 14, 25]);
    await t.api.get(res.headers.location).expect(200, res.body);
    const ledger = await t.api.get('/accounts/2/transactions').expect(200);
    expect(ledger.body).toEqual({
      data: [
        // bob's -1 from the seed: issued the other way, out of bob and into the issuance account.
        expect.objectContaining({ accountId: 2, amount: -1, balanceAfter: -1, createdBy: 'seed' }),
        expect.objectContaining({ accountId: 2, transferId: res.body.id, amount: 15, balanceAfter: 14 }),
      ],
      next: null,
    });
  });

  it.each([
    [
      { from: 2, to: 1, amount: 1 },
      409,
      'Account 2 has a balance of -1 and an overdraft limit of 0: it can send at most 0, not 1',
    ],
    [{ from: 1, to: 3, amount: 11 }, 409, 'it can send at most 10, not 11'],
    [{ from: 1, to: 9, amount: 1 }, 404, 'Account 9 does not exist'],
    [{ from: 1, to: 1, amount: 1 }, 400, 'from and to must be different accounts'],
    [{ from: 1, to: 3, amount: 0 }, 400, 'amount must not be less than 1'],
    [{ from: 1, to: 3, amount: -5 }, 400, 'amount must not be less than 1'],
    [{ from: 1, to: 3, amount: 0.5 }, 400, 'amount must be an integer number'],
    [{ from: 1, to: 3, amount: 1e300 }, 400, 'amount must not be greater than 9007199254740991'],
    [{ from: 1, to: 3, amount: 2 ** 53 }, 400, 'amount must not be greater than 9007199254740991'],
    [{ from: '1', to: 3, amount: 1 }, 400, 'from must be an integer number'],
    [{ from: 1, to: 3 }, 400, 'amount must be an integer number'],
    [{ from: 1, to: 3, amount: 1, note: 'hi' }, 400, 'property note should not exist'],
    [
      { from: 0, to: 1, amount: 5 },
      400,
      "from must be a customer account's id, 1 or more; money enters the books with POST /issuances (admin keys)",
    ],
    [{ from: 1, to: 0, amount: 5 }, 400, "to must be a customer account's id, 1 or more"],
  ])('refuses %j with %i and changes nothing', async (body, status, message) => {
    const res = await t.api.post('/transfers').send(body).expect(status);

    expect(res.body.message).toContain(message);
    expect(await balances()).toEqual([10, -1, 40]);
  });

  it('applies a retried transfer once and replays the first answer', async () => {
    const send = () => t.api.post('/transfers').set('Idempotency-Key', 'order-17').send({ from: 3, to: 1, amount: 5 });

    const first = await send().expect(201);
    const retry = await send().expect(201);

    expect(retry.body).toEqual(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await balances()).toEqual([15, -1, 35]);
  });

  it('refuses the same Idempotency-Key with a different body with 422', async () => {
    await t.api.post('/transfers').set('Idempotency-Key', 'k').send({ from: 3, to: 1, amount: 5 }).expect(201);
    const res = await t.api
      .post('/transfers')
      .set('Idempotency-Key', 'k')
      .send({ from: 3, to: 1, amount: 6 })
      .expect(422);

    expect(res.body.message).toContain('Idempotency-Key k was already used for a different POST /transfers request');
    expect(await balances()).toEqual([15, -1, 35]);
  });

  it('refuses a malformed Idempotency-Key with 400', async () => {
    const res = await t.api
      .post('/transfers')
      .set('Idempotency-Key', 'has spaces')
      .send({ from: 3, to: 1, amount: 5 })
      .expect(400);
    expect(res.body.message).toContain('Idempotency-Key must be');
  });

  it('replays account creation too', async () => {
    const send = () => t.api.post('/accounts').set('Idempotency-Key', 'new-amy').send({ name: 'amy' });
    const first = await send().expect(201);
    await send().expect(201).expect('Location', first.headers.location);
    expect((await t.api.get('/accounts').expect(200)).body.data).toHaveLength(4);
  });

  describe('issuing money', () => {
    const ledger = async () => (await t.api.get('/ledger').expect(200)).body;

    it('issues to an account as a transfer from account 0, with its audit event, and the books still add up', async () => {
      expect(await ledger()).toEqual({
        ok: true,
        accounts: 4,
        transfers: 3,
        entries: 6,
        issued: 49,
        sum: 0,
        discrepancies: [],
      });

      const res = await t.api
        .post('/issuances')
        .set('Idempotency-Key', 'grant-1')
        .send({ to: 2, amount: 100 })
        .expect(201);
      await t.api.post('/issuances').set('Idempotency-Key', 'grant-1').send({ to: 2, amount: 100 }).expect(201);

      expect(res.headers.location).toBe(`/transfers/${res.body.id}`);
      expect(res.body).toMatchObject({ from: 0, to: 2, amount: 100, createdBy: 'bootstrap' });
      await t.api.get(res.headers.location).expect(200, res.body);
      expect(await balances()).toEqual([10, 99, 40]);
      expect(await ledger()).toMatchObject({ ok: true, transfers: 4, issued: 149, sum: 0 });
      const events = (await t.api.get('/audit').query({ type: 'money.issued' }).expect(200)).body.data;
      expect(events).toEqual([
        expect.objectContaining({
          actor: 'bootstrap',
          subject: 'accounts/2',
          details: { transfer: res.body.id, amount: 100 },
        }),
      ]);
    });

    it('refuses a write key, naming the scope, and a missing or closed account, and issues nothing', async () => {
      const writer = await t.key('write', 'batch');
      const refused = await t.api
        .post('/issuances')
        .set('Authorization', `Bearer ${writer}`)
        .send({ to: 1, amount: 1_000_000 })
        .expect(403);
      expect(refused.body.message).toBe('This route needs a key with scope admin; key "batch" has scope write');
      await t.api.post('/issuances').send({ to: 9, amount: 1 }).expect(404);
      await t.api.post('/issuances').send({ to: 1, amount: 0 }).expect(400);
      await t.api.post('/transfers').send({ from: 1, to: 2, amount: 1 }).expect(201);
      await t.api.delete('/accounts/1').expect(409);
      const empty = (await t.api.post('/accounts').send({ name: 'empty' }).expect(201)).body.id;
      await t.api.delete(`/accounts/${empty}`).expect(204);
      const closed = await t.api.post('/issuances').send({ to: empty, amount: 1 }).expect(409);
      expect(closed.body.message).toBe(`Account ${empty} is closed and cannot receive money`);
      await t.api.get('/issuances').expect(405).expect('Allow', 'POST');

      expect(await ledger()).toMatchObject({ ok: true, transfers: 4, issued: 49 });
    });
  });
});
