import { DatabaseSync } from 'node:sqlite';
import { checkLedger, describeLedger, type LedgerReport } from '../ledger/ledger-check';
import { SqliteStore } from '../store/sqlite/sqlite.store';

/** What checking a copy found: nothing wrong, or each problem, one per line. */
export interface CopyCheck {
  readonly problems: readonly string[];
  /** The ledger's figures, when the file could be read as a store at all. */
  readonly ledger?: LedgerReport;
}

// Duck-typed: under jest's VM sandbox, errors made by node:sqlite are not instances of the sandbox's Error.
const messageOf = (error: unknown) => {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
};

/** SQLite's own check of every page and index: `ok`, or what is broken. */
function integrityProblems(file: string): string[] {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    const lines = rows.map((row) => row.integrity_check);
    return lines.length === 1 && lines[0] === 'ok' ? [] : lines.map((line) => `integrity_check: ${line}`);
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
  if (integrity.length > 0) return { problems: integrity };
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore(file, busyTimeoutMs);
    const ledger = await checkLedger(store);
    return { problems: ledger.discrepancies.map((line) => `ledger: ${line}`), ledger };
  } catch (error) {
    return { problems: [`ledger: ${messageOf(error)}`] };
  } finally {
    await store?.close();
  }
}

/** One line for a copy that passed; its problems, one per line, otherwise. */
export function describeCheck(check: CopyCheck): string[] {
  if (check.problems.length > 0 || !check.ledger) return [...check.problems];
  return describeLedger(check.ledger);
}
