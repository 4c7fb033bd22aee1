import { sql } from 'kysely';
import type { Executor, Store } from '../store/store';

/** What the check found: the figures it added up, and every rule a row breaks. */
export interface LedgerReport {
  readonly accounts: number;
  readonly transfers: number;
  readonly entries: number;
  /** The sum of every opening balance: all the money that ever entered the store. */
  readonly opened: number;
  /** The sum of every balance now; equal to `opened` while transfers only move money. */
  readonly held: number;
  readonly discrepancies: readonly string[];
}

const asNumber = (value: unknown) => Number(value);

/**
 * Checks, in one consistent read, the rules the books keep whatever happens
 * to the stack (a killed replica, a full disk, a restarted database):
 *
 * - every account's balance is its opening balance plus its ledger entries;
 * - every account's entries, in order, carry the running balance after each;
 * - every transfer has exactly two entries, its amount out of `from` and the
 *   same amount into `to`, so that the entries of each sum to zero;
 * - so the balances sum to the opening balances: no money appeared or vanished.
 *
 * Reads with aggregate queries, so a large store is checked by the
 * database, not loaded into the api.
 */
export function checkLedger(store: Store): Promise<LedgerReport> {
  return store.snapshot(async (trx) => {
    const discrepancies = [
      ...(await unbalancedAccounts(trx)),
      ...(await brokenRunningBalances(trx)),
      ...(await unpairedTransfers(trx)),
    ];
    const totals = await sql<Record<string, unknown>>`
      SELECT
        (SELECT count(*) FROM accounts) AS accounts,
        (SELECT count(*) FROM transfers) AS transfers,
        (SELECT count(*) FROM ledger_entries) AS entries,
        (SELECT CAST(coalesce(sum(opening_balance), 0) AS bigint) FROM accounts) AS opened,
        (SELECT CAST(coalesce(sum(balance), 0) AS bigint) FROM accounts) AS held`.execute(trx);
    const [accounts, transfers, entries, opened, held] = ['accounts', 'transfers', 'entries', 'opened', 'held'].map(
      (column) => asNumber(totals.rows[0][column]),
    );
    if (opened !== held) {
      discrepancies.push(`the balances sum to ${held}, but the opening balances to ${opened}`);
    }
    return { accounts, transfers, entries, opened, held, discrepancies };
  });
}

/** One line for a clean ledger; the discrepancies, one per line, otherwise. */
export function describeLedger(report: LedgerReport): string[] {
  if (report.discrepancies.length > 0) return [...report.discrepancies];
  return [
    `ledger ok: ${report.accounts} accounts, ${report.transfers} transfers, ${report.entries} entries; ` +
      `the balances sum to ${report.held}, as do the opening balances`,
  ];
}

async function unbalancedAccounts(trx: Executor): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT a.id, a.balance, a.opening_balance, CAST(coalesce(sum(e.amount), 0) AS bigint) AS entries
    FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
    GROUP BY a.id, a.balance, a.opening_balance
    HAVING a.balance <> a.opening_balance + coalesce(sum(e.amount), 0)
    ORDER BY a.id`.execute(trx);
  return rows.map(
    (row) =>
      `account ${asNumber(row.id)}: balance ${asNumber(row.balance)}, but its opening balance ` +
      `${asNumber(row.opening_balance)} plus its entries ${asNumber(row.entries)} make ` +
      `${asNumber(row.opening_balance) + asNumber(row.entries)}`,
  );
}

async function brokenRunningBalances(trx: Executor): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT id, account_id, balance_after, expected FROM (
      SELECT e.id, e.account_id, e.balance_after,
        a.opening_balance + sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS expected
      FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
    ) running
    WHERE balance_after <> expected
    ORDER BY id`.execute(trx);
  return rows.map(
    (row) =>
      `ledger entry ${asNumber(row.id)} of account ${asNumber(row.account_id)}: balance after ` +
      `${asNumber(row.balance_after)}, but the entries before it and it make ${asNumber(row.expected)}`,
  );
}

async function unpairedTransfers(trx: Executor): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT id, amount, entries FROM (
      SELECT t.id, t.amount, count(e.id) AS entries,
        sum(CASE WHEN e.account_id = t.from_id AND e.amount = -t.amount THEN 1 ELSE 0 END) AS debits,
        sum(CASE WHEN e.account_id = t.to_id AND e.amount = t.amount THEN 1 ELSE 0 END) AS credits
      FROM transfers t LEFT JOIN ledger_entries e ON e.transfer_id = t.id
      GROUP BY t.id, t.amount
    ) sides
    WHERE entries <> 2 OR debits <> 1 OR credits <> 1
    ORDER BY id`.execute(trx);
  return rows.map(
    (row) =>
      `transfer ${asNumber(row.id)} of ${asNumber(row.amount)}: ${asNumber(row.entries)} ledger entries, ` +
      `not one debit of its source and one credit of its destination`,
  );
}
