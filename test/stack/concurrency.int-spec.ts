import { clientFor, ledgerOf } from '../support/http.ts';
import { verifyLedger } from '../support/ledger-checks.ts';
import { ACCESS_LOG_DELAY_MS, jsonLogLines, STACK_STORE, useStack } from './stack';

// Every client here is one address to the proxy; its per-client rate limit would answer most of them 429.
const stack = useStack({ env: { PROXY_RATE_LIMIT: 'off' } });

// PostgreSQL is the store for more than one writer: give it one more replica than the shared SQLite file.
const REPLICAS = STACK_STORE === 'postgres' ? 3 : 2;
const CLIENTS = 24;
const DURATION_MS = 10_000;
const MAX_REQUESTS_PER_CLIENT = 2_000;
const OPENING = [1_000, 1_000, 500, 500, 0, 0];

interface Tally {
  acknowledged: Map<number, { from: number; to: number; amount: number }>;
  refused: number;
  serverErrors: { status: number; body: unknown }[];
  other: Map<number, number>;
  networkRetries: number;
  requests: number;
}

/** One client: random transfers among the accounts until the time or request budget runs out. */
async function client(n: number, ids: number[], deadline: number, tally: Tally): Promise<void> {
  for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && Date.now() < deadline; i++) {
    const from = ids[Math.floor(Math.random() * ids.length)];
    let to = ids[Math.floor(Math.random() * ids.length)];
    if (to === from) to = ids[(ids.indexOf(from) + 1) % ids.length];
    const body = { from, to, amount: 1 + Math.floor(Math.random() * 300) };
    const header = { 'Idempotency-Key': `load-${n}-${i}` };
    for (let attempt = 0; ; attempt++) {
      tally.requests++;
      let res;
      try {
        res = await clientFor(stack()).POST('/transfers', { body, params: { header } });
      } catch (error) {
        // A lost answer is retried with the same key: that is what the key is for.
        if (attempt >= 3) throw error;
        tally.networkRetries++;
        continue;
      }
      const { status } = res.response;
      if (status === 201) tally.acknowledged.set(res.data!.id, body);
      else if (status === 409) tally.refused++;
      else if (status >= 500) tally.serverErrors.push({ status, body: res.error });
      else tally.other.set(status, (tally.other.get(status) ?? 0) + 1);
      break;
    }
  }
}

/**
 * An admin issuing money meanwhile, a few times a second until the deadline,
 * into the accounts the clients are moving money between: each issuance
 * takes the issuance account's row and one of theirs.
 */
async function issuer(ids: number[], deadline: number, issued: Map<number, number>): Promise<void> {
  for (let i = 0; Date.now() < deadline; i++) {
    const amount = 1 + Math.floor(Math.random() * 1_000);
    const to = ids[i % ids.length];
    const { data, response } = await clientFor(stack()).POST('/issuances', {
      body: { to, amount },
      params: { header: { 'Idempotency-Key': `issue-${i}` } },
    });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ from: 0, to, amount, createdBy: 'bootstrap' });
    issued.set(data!.id, amount);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

async function ledgerReport() {
  const { data, response } = await clientFor(stack()).GET('/ledger');
  expect(response.status).toBe(200);
  return data!;
}

describe(`${CLIENTS} concurrent clients over ${REPLICAS} api replicas sharing one store, while an admin issues money`, () => {
  let ids: number[];
  /** The issuances made under load, by transfer id, and the opening balances' issuances before it. */
  const issued = new Map<number, number>();
  const openingIssuances = new Set<number>();
  let issuedBefore: number;
  const tally: Tally = {
    acknowledged: new Map(),
    refused: 0,
    serverErrors: [],
    other: new Map(),
    networkRetries: 0,
    requests: 0,
  };

  beforeAll(async () => {
    await stack().composeCli(['up', '-d', '--wait', '--scale', `api=${REPLICAS}`]);
    // nginx re-resolves `api` every 2 s (resolver valid=2s).
    await new Promise((r) => setTimeout(r, 6_000));
    issuedBefore = (await ledgerReport()).issued;
    ids = [];
    for (const [i, openingBalance] of OPENING.entries()) {
      const { data, response } = await clientFor(stack()).POST('/accounts', {
        body: { name: `load-${i}`, openingBalance },
      });
      expect(response.status).toBe(201);
      ids.push(data!.id);
      for (const entry of await ledgerOf(stack(), data!.id)) openingIssuances.add(entry.transferId);
    }
    expect(openingIssuances.size).toBe(OPENING.filter((balance) => balance > 0).length);
    const deadline = Date.now() + DURATION_MS;
    await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, n) => client(n, ids, deadline, tally)),
      issuer(ids, deadline, issued),
    ]);
    console.log(
      `concurrency: ${tally.requests} requests, ${tally.acknowledged.size} transfers acknowledged, ` +
        `${tally.refused} refused (409), ${tally.serverErrors.length} 5xx, ${tally.networkRetries} network retries, ` +
        `other ${JSON.stringify(Object.fromEntries(tally.other))}; ${issued.size} issuances meanwhile`,
    );
  }, 120_000);

  it('answers no request with a 5xx, and refuses only with 409', () => {
    expect(tally.serverErrors).toEqual([]);
    expect(Object.fromEntries(tally.other)).toEqual({});
    expect(tally.acknowledged.size).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('changes the sum of the balances by exactly the money issued, and no balance goes below zero', async () => {
    const accounts = await Promise.all(
      ids.map((id) => clientFor(stack()).GET('/accounts/{id}', { params: { path: { id } } })),
    );
    const balances = accounts.map(({ data }) => data!.balance);

    expect(sum(balances)).toBe(sum(OPENING) + sum(issued.values()));
    expect(Math.min(...balances)).toBeGreaterThanOrEqual(0);
  });

  it('has every acknowledged transfer and issuance in the ledger, and nothing else', async () => {
    const sides = new Map<number, number>();
    for (const id of ids) {
      const entries = await ledgerOf(stack(), id);
      const { data: account } = await clientFor(stack()).GET('/accounts/{id}', { params: { path: { id } } });
      expect(account!.balance).toBe(sum(entries.map((e) => e.amount)));
      for (const entry of entries) sides.set(entry.transferId, (sides.get(entry.transferId) ?? 0) + 1);
    }
    const byId = (a: number, b: number) => a - b;

    const customerTransfers = [...sides.keys()].filter((id) => !issued.has(id) && !openingIssuances.has(id));
    expect(customerTransfers.sort(byId)).toEqual([...tally.acknowledged.keys()].sort(byId));
    expect([...issued.keys(), ...openingIssuances].every((id) => sides.get(id) === 1)).toBe(true);
    expect(customerTransfers.every((id) => sides.get(id) === 2)).toBe(true);
    for (const [id, sent] of [...tally.acknowledged].slice(0, 50)) {
      expect((await clientFor(stack()).GET('/transfers/{id}', { params: { path: { id } } })).data).toMatchObject(sent);
    }
  });

  it('keeps the books: the ledger command passes, and what the issuance account issued is what the accounts gained', async () => {
    const api = (await stack().composeCli(['ps', '-q', 'api'])).trim().split('\n')[0];
    expect(await verifyLedger(api)).toMatch(/^ledger ok: .*; the balances sum to zero, \d+ issued$/);
    expect(issued.size).toBeGreaterThan(10);
    const report = await ledgerReport();
    expect(report).toMatchObject({ ok: true, sum: 0 });
    expect(report.issued - issuedBefore).toBe(sum(OPENING) + sum(issued.values()));
  });

  it('spread the load over every replica', async () => {
    const proxy = (await stack().composeCli(['ps', '-q', 'proxy'])).trim();
    await new Promise((resolve) => setTimeout(resolve, ACCESS_LOG_DELAY_MS));
    const upstreams = new Set(
      (await jsonLogLines(proxy))
        .filter((line) => line.uri === '/transfers' && line.status === 201)
        .map((line) => line.upstream_addr),
    );
    expect(upstreams.size).toBe(REPLICAS);
  });
});
