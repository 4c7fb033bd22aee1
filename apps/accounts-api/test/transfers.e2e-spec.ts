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
      data: [expect.objectContaining({ accountId: 2, transferId: res.body.id, amount: 15, balanceAfter: 14 })],
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
});
