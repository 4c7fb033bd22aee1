import { DatabaseSync } from 'node:sqlite';
import { checkLedger, describeLedger, type LedgerReport } from '../ledger/ledger-check';
import { SqliteStore } from '../store/sqlite/sqlite.store';

/** What checking a copy found: a sound store and its ledger's figures, or each problem, one per line. */
export type CopyCheck =
  { readonly ok: true; readonly ledger: LedgerReport } | { readonly ok: false; readonly problems: readonly string[] };

// Every failure here is an Error: node:sqlite's, Kysely's, the store's. Not
// `instanceof`: under jest's VM sandbox, node:sqlite's are not the sandbox's Errors.
const messageOf = (error: unknown) => (error as Error).message;

/** SQLite's own check of every page and index: nothing, or what is broken. */
function integrityProblems(file: string): string[] {
  let db: DatabaseSync | undefined;
  try {
    // Read-only: a file that is not there stays so, instead of becoming an empty store.
    db = new DatabaseSync(file, { readOnly: true });
    const lines = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map(
      (row) => row.integrity_check,
    );
    // Stryker disable next-line StringLiteral: joined without a separator, the findings are no more `ok` than with one
    return lines.join('\n') === 'ok' ? [] : lines.map((line) => `integrity_check: ${line}`);
  } catch (error) {
    return [`integrity_check: ${messageOf(error)}`];
  } finally {
    db?.close();
  }
}

/**
 * Checks a copy of the store before it is kept or restored: SQLite's
 * `PRAGMA integrity_check` (every page, every index), then, when the file
 * is sound, the ledger check the ledger command runs (ledger/ledger-check.ts):
 * balances, entries and transfers that add up. A copy of a store whose
 * books were already wrong fails too, so that it is never taken for a good one.
 * The copy is opened as a store, which may write its header and journal:
 * check a copy that is yours to change.
 */
export async function checkCopy(file: string, busyTimeoutMs: number): Promise<CopyCheck> {
  const integrity = integrityProblems(file);
  if (integrity.length > 0) return { ok: false, problems: integrity };
  const store = new SqliteStore(file, busyTimeoutMs);
  try {
    const ledger = await checkLedger(store);
    return ledger.discrepancies.length === 0
      ? { ok: true, ledger }
      : { ok: false, problems: ledger.discrepancies.map((line) => `ledger: ${line}`) };
  } catch (error) {
    return { ok: false, problems: [`ledger: ${messageOf(error)}`] };
  } finally {
    await store.close();
  }
}

/** One line for a copy that passed; its problems, one per line, otherwise. */
export function describeCheck(check: CopyCheck): string[] {
  return check.ok ? describeLedger(check.ledger) : [...check.problems];
}
