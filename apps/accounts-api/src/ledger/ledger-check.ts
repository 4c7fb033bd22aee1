import { sql } from 'kysely';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';
import { MIGRATED_OPENING_ACTOR } from '../store/migrations/006-issuance-account';
import type { Executor, Store } from '../store/store';

/** What the check found: the figures it added up, and every rule a row breaks. */
export interface LedgerReport {
  readonly accounts: number;
  readonly transfers: number;
  readonly entries: number;
  /** The money in customer accounts: what the issuance account has issued, net of what came back to it. */
  readonly issued: number;
  /** The sum of every balance, the issuance account's included: zero while money only moves. */
  readonly sum: number;
  readonly discrepancies: readonly string[];
}

const asNumber = (value: unknown) => Number(value);

/**
 * Checks, in one consistent read, the rules the books keep whatever happens
 * to the stack (a killed replica, a full disk, a restarted database):
 *
 * - every account's balance is the sum of its ledger entries, nothing beside;
 * - every account's entries, in order, carry the running balance after each;
 * - every transfer has exactly two entries, its amount out of `from` and the
 *   same amount into `to`, so that the entries of each sum to zero;
 * - so all balances, the issuance account's included, sum to zero: money
 *   enters only out of the issuance account, and none appears or vanishes.
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
        (SELECT -coalesce(sum(balance), 0) FROM accounts WHERE id = ${ISSUANCE_ACCOUNT_ID}) AS issued,
        (SELECT CAST(coalesce(sum(balance), 0) AS bigint) FROM accounts) AS sum`.execute(trx);
    const [accounts, transfers, entries, issued, sum] = ['accounts', 'transfers', 'entries', 'issued', 'sum'].map(
      (column) => asNumber(totals.rows[0][column]),
    );
    if (sum !== 0) {
      discrepancies.push(`the balances sum to ${sum}, not zero: money appeared or vanished outside the ledger`);
    }
    return { accounts, transfers, entries, issued, sum, discrepancies };
  });
}

/** One line for a clean ledger; the discrepancies, one per line, otherwise. */
export function describeLedger(report: LedgerReport): string[] {
  if (report.discrepancies.length > 0) return [...report.discrepancies];
  return [
    `ledger ok: ${report.accounts} accounts, ${report.transfers} transfers, ${report.entries} entries; ` +
      `the balances sum to zero, ${report.issued} issued`,
  ];
}

async function unbalancedAccounts(trx: Executor): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT a.id, a.balance, CAST(coalesce(sum(e.amount), 0) AS bigint) AS entries
    FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
    GROUP BY a.id, a.balance
    HAVING a.balance <> coalesce(sum(e.amount), 0)
    ORDER BY a.id`.execute(trx);
  return rows.map(
    (row) =>
      `account ${asNumber(row.id)}: balance ${asNumber(row.balance)}, but its entries sum to ${asNumber(row.entries)}`,
  );
}

/**
 * An account's entries run in the order of their transfers (the account's
 * lock serialises them, so that is the order they were written in), but for
 * the opening balances that migration 006 issued after the fact: their
 * entries come first, as the money did.
 */
async function brokenRunningBalances(trx: Executor): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT id, account_id, balance_after, expected FROM (
      SELECT e.id, e.account_id, e.balance_after,
        sum(e.amount) OVER (
          PARTITION BY e.account_id
          ORDER BY CASE WHEN e.created_by = ${MIGRATED_OPENING_ACTOR} THEN 0 ELSE 1 END, e.transfer_id, e.id
        ) AS expected
      FROM ledger_entries e
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
