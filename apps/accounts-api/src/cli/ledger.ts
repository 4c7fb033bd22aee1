/**
 * Checks the books, inside an api container:
 *
 *   docker compose exec api node dist/cli/ledger.js verify
 *
 * Exit status 0 and one line when every rule holds (checkLedger says which);
 * 1 and one line per discrepancy when one does not, or when the store cannot
 * be read; 2 for a mistake in the command line. It uses the api's own
 * settings (STORE_URL), so it reads the store that the replicas write, and
 * writes nothing.
 */
import { DomainError } from '../common/errors/domain-error';
import { storeConfig } from '../config/store.config';
import { checkLedger, describeLedger } from '../ledger/ledger-check';
import { openMigratedStore } from '../store/store.factory';

const USAGE = 'Usage: node dist/cli/ledger.js verify';

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0] !== 'verify') {
    process.stderr.write(
      `ledger: ${argv.length === 0 ? 'no command given' : `unknown command "${argv.join(' ')}"`}\n${USAGE}\n`,
    );
    return 2;
  }
  const store = await openMigratedStore(storeConfig());
  try {
    const report = await checkLedger(store);
    const out = report.discrepancies.length === 0 ? process.stdout : process.stderr;
    out.write(
      describeLedger(report)
        .map((line) => `${line}\n`)
        .join(''),
    );
    return report.discrepancies.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`ledger: ${error instanceof DomainError ? message : `failed: ${message}`}\n`);
    process.exitCode = 1;
  },
);
