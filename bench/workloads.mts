/** The endpoints both benchmarks load, as wrk's requests. */
import { createAccountsClient } from '../libs/client/src/index.ts';
import { PEER_ENDPOINT } from './report.mts';
import type { Workload } from './wrk.mts';

/** The talk's contract: the one endpoint every layer and peer answers, with no key. */
export const TALK: Workload = { name: PEER_ENDPOINT, requests: [{ method: 'POST', path: '/', status: 200 }] };

// Both accounts start this rich and transfers alternate direction, so none can overdraw.
const OPENING_BALANCE = 1_000_000_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Opens the two accounts that the keyed workloads read and move money between. */
export async function openAccounts(baseUrl: string, key: string, signal?: AbortSignal): Promise<[number, number]> {
  const api = createAccountsClient({ baseUrl, apiKey: key });
  const ids: number[] = [];
  for (const name of ['bench-a', 'bench-b']) {
    const { data, error, response } = await api.POST('/accounts', {
      body: { name, openingBalance: OPENING_BALANCE },
      signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    if (response.status !== 201 || !data) {
      throw new Error(`POST /accounts on ${baseUrl} answered ${response.status}: ${JSON.stringify(error)}`);
    }
    ids.push(data.id);
  }
  return [ids[0], ids[1]];
}

/** The endpoints that need a key: reading account `a`, and transfers between `a` and `b`. */
export function keyedWorkloads(key: string, [a, b]: readonly [number, number]): [Workload, Workload] {
  const authorization = `Bearer ${key}`;
  const json = { authorization, 'content-type': 'application/json' };
  const transfer = (from: number, to: number) => ({
    method: 'POST',
    path: '/transfers',
    headers: json,
    body: JSON.stringify({ from, to, amount: 1 }),
    status: 201,
  });
  return [
    {
      name: 'GET /accounts/:id',
      requests: [{ method: 'GET', path: `/accounts/${a}`, headers: { authorization }, status: 200 }],
    },
    { name: 'POST /transfers', requests: [transfer(a, b), transfer(b, a)] },
  ];
}
