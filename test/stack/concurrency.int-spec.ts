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

/** An admin issuing money meanwhile: accounts opened with a balance, a few times a second, until the deadline. */
async function issuer(deadline: number, issued: Map<number, number>): Promise<void> {
  for (let i = 0; Date.now() < deadline; i++) {
    const openingBalance = 1 + Math.floor(Math.random() * 1_000);
    const { data, response } = await clientFor(stack()).POST('/accounts', {
      body: { name: `issued-${i}`, openingBalance },
    });
    expect(response.status).toBe(201);
    issued.set(data!.id, openingBalance);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`${CLIENTS} concurrent clients over ${REPLICAS} api replicas sharing one store, while an admin issues money`, () => {
  let ids: number[];
  const issued = new Map<number, number>();
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
    ids = [];
    for (const [i, openingBalance] of OPENING.entries()) {
      const { data, response } = await clientFor(stack()).POST('/accounts', {
        body: { name: `load-${i}`, openingBalance },
      });
      expect(response.status).toBe(201);
      ids.push(data!.id);
    }
    const deadline = Date.now() + DURATION_MS;
    await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, n) => client(n, ids, deadline, tally)),
      issuer(deadline, issued),
    ]);
    console.log(
      `concurrency: ${tally.requests} requests, ${tally.acknowledged.size} transfers acknowledged, ` +
        `${tally.refused} refused (409), ${tally.serverErrors.length} 5xx, ${tally.networkRetries} network retries, ` +
        `other ${JSON.stringify(Object.fromEntries(tally.other))}; ${issued.size} accounts issued money meanwhile`,
    );
  }, 120_000);

  it('answers no request with a 5xx, and refuses only with 409', () => {
    expect(tally.serverErrors).toEqual([]);
    expect(Object.fromEntries(tally.other)).toEqual({});
    expect(tally.acknowledged.size).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it('never changes the sum of the balances, and no balance goes below zero', async () => {
    const accounts = await Promise.all(
      ids.map((id) => clientFor(stack()).GET('/accounts/{id}', { params: { path: { id } } })),
    );
    const balances = accounts.map(({ data }) => data!.balance);

    expect(balances.reduce((a, b) => a + b, 0)).toBe(OPENING.reduce((a, b) => a + b, 0));
    expect(Math.min(...balances)).toBeGreaterThanOrEqual(0);
  });

  it('has every acknowledged transfer in the ledger, and nothing else', async () => {
    const ledgerTransfers = new Map<number, number>();
    for (const [i, id] of ids.entries()) {
      const entries = await ledgerOf(stack(), id);
      const { data: account } = await clientFor(stack()).GET('/accounts/{id}', { params: { path: { id } } });
      expect(account!.balance).toBe(OPENING[i] + entries.reduce((sum, e) => sum + e.amount, 0));
      for (const entry of entries)
        ledgerTransfers.set(entry.transferId, (ledgerTransfers.get(entry.transferId) ?? 0) + 1);
    }

    expect([...ledgerTransfers.keys()].sort((a, b) => a - b)).toEqual(
      [...tally.acknowledged.keys()].sort((a, b) => a - b),
    );
    expect([...ledgerTransfers.values()].every((sides) => sides === 2)).toBe(true);
    for (const [id, sent] of [...tally.acknowledged].slice(0, 50)) {
      expect((await clientFor(stack()).GET('/transfers/{id}', { params: { path: { id } } })).data).toMatchObject(sent);
    }
  });

  it('keeps the books: the ledger command passes, and the money issued meanwhile is all there', async () => {
    const api = (await stack().composeCli(['ps', '-q', 'api'])).trim().split('\n')[0];
    expect(await verifyLedger(api)).toMatch(/^ledger ok: /);
    expect(issued.size).toBeGreaterThan(10);
    for (const [id, openingBalance] of issued) {
      const { data } = await clientFor(stack()).GET('/accounts/{id}', { params: { path: { id } } });
      expect(data).toMatchObject({ balance: openingBalance, openingBalance, createdBy: 'bootstrap' });
    }
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
