/**
 * What the store holds after a load: each acknowledged transfer exactly once
 * on both sides of the ledger, read through the api, the books checked by
 * the ledger command, and SQLite's own consistency check of the file.
 */
import { docker } from './docker.ts';
import { allPages, type Api } from './http.ts';
import type { TransferLoad } from './load.ts';

async function balanceOf(api: Api, id: number): Promise<number> {
  const res = await fetch(`${api.baseUrl}/accounts/${id}`, { headers: api.headers });
  if (res.status !== 200) throw new Error(`GET /accounts/${id} answered ${res.status}`);
  return ((await res.json()) as { balance: number }).balance;
}

export interface StoredTransfers {
  /** Transfer ids of the debits in `from`'s ledger and of the credits in `to`'s, sorted. */
  readonly fromTransferIds: number[];
  readonly toTransferIds: number[];
  readonly fromBalance: number;
  readonly toBalance: number;
}

/** What the store holds for the two accounts of a transfer load, read through the api. */
export async function storedTransfers(api: Api, from: number, to: number): Promise<StoredTransfers> {
  const ledgerOf = (id: number) =>
    allPages<{ transferId: number; amount: number }>(api, `/accounts/${id}/transactions?limit=100`);
  const fromLedger = (await ledgerOf(from)).filter((e) => e.amount < 0);
  const toLedger = (await ledgerOf(to)).filter((e) => e.amount > 0);
  return {
    fromTransferIds: fromLedger.map((e) => e.transferId).sort((a, b) => a - b),
    toTransferIds: toLedger.map((e) => e.transferId).sort((a, b) => a - b),
    fromBalance: await balanceOf(api, from),
    toBalance: await balanceOf(api, to),
  };
}

/** SQLite's own consistency check of the api's store, read-only, from inside the api container. */
export async function integrityCheck(apiContainerId: string): Promise<string> {
  const script =
    "const { DatabaseSync } = require('node:sqlite');" +
    "const db = new DatabaseSync(process.env.STORE_URL.replace(/^sqlite:/, ''), { readOnly: true });" +
    "process.stdout.write(db.prepare('PRAGMA integrity_check').all().map((r) => r.integrity_check).join('\\n'));";
  return (await docker(['exec', apiContainerId, 'node', '-e', script])).trim();
}

/**
 * `node dist/cli/ledger.js verify` in an api container, as an operator runs
 * it: its one line when every rule of the books holds; otherwise it rejects
 * with the discrepancies it printed.
 */
export async function verifyLedger(apiContainerId: string): Promise<string> {
  return (await docker(['exec', apiContainerId, 'node', 'dist/cli/ledger.js', 'verify'])).trim();
}

/** One line of figures for the report of a fault test. */
export function describeLoad(load: TransferLoad, stored: StoredTransfers): string {
  const failed = load.attempts.filter((a) => a.status !== 201);
  const acknowledgedIds = [...load.acknowledged.values()];
  const kinds = [...new Set(failed.map((a) => a.error ?? String(a.status)))].join(', ');
  return (
    `sent ${load.attempts.length}, failed ${failed.length}${kinds ? ` (${kinds})` : ''}, ` +
    `writes acknowledged ${load.acknowledged.size}, replayed ${load.replayed}, ` +
    `lost ${acknowledgedIds.filter((id) => !stored.fromTransferIds.includes(id)).length}, ` +
    `applied twice ${stored.fromTransferIds.length - new Set(stored.fromTransferIds).size}, ` +
    `never acknowledged ${load.pending.length}; ${describeLatency(load.attempts)}`
  );
}

/** The median, 99th percentile and slowest time of the attempts, failed ones included. */
function describeLatency(attempts: readonly { startedAt: number; endedAt: number }[]): string {
  const ms = attempts.map((a) => a.endedAt - a.startedAt).sort((a, b) => a - b);
  if (ms.length === 0) return 'no attempts';
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return `attempts took ${at(0.5)} ms (median), ${at(0.99)} ms (p99), ${ms[ms.length - 1]} ms (slowest)`;
}

/**
 * The store holds each acknowledged transfer exactly once, on both sides,
 * and nothing else moved money between the two accounts.
 */
export function expectExactlyOnce(load: TransferLoad, stored: StoredTransfers, opening: number): void {
  const acknowledgedIds = [...load.acknowledged.values()].sort((a, b) => a - b);
  expect(load.rejected).toEqual([]);
  expect(load.pending).toEqual([]);
  expect(new Set(acknowledgedIds).size).toBe(load.acknowledged.size);
  expect(stored.fromTransferIds).toEqual(acknowledgedIds);
  expect(stored.toTransferIds).toEqual(acknowledgedIds);
  expect(stored.fromBalance).toBe(opening - load.acknowledged.size);
  expect(stored.toBalance).toBe(load.acknowledged.size);
}
