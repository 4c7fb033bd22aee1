import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min, validateSync } from 'class-validator';
import { MAX_MONEY, NAME_MAX_LENGTH } from '../accounts/account';
import { IsAccountName, NormalizeName } from '../accounts/account-name';

// Decorators run bottom-up and validation stops at a property's first error,
// so the type check sits lowest: "lots" reads "must be an integer", not "too large".
class SeedRecord {
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  readonly id!: number;

  @IsAccountName()
  @IsNotEmpty()
  @MaxLength(NAME_MAX_LENGTH)
  @IsString()
  @NormalizeName()
  readonly name!: string;

  // Seed balances may be negative (the talk's bob has -1).
  @Min(Number.MIN_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  readonly balance!: number;
}

/** One account as the seed file gives it: the opening state of a fresh store. */
export interface SeedAccount {
  readonly id: number;
  readonly name: string;
  readonly balance: number;
}

/** A seed file that cannot be served as a whole; the message names the file and the record. */
export class SeedFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`Seed file ${file}: ${detail}`);
    this.name = 'SeedFileError';
  }
}

/**
 * Reads and validates the whole seed file. Any bad record rejects the file:
 * serving part of the data would hide the mistake.
 */
export function readSeedFile(file: string): SeedAccount[] {
  let text: string;
  try {
    // Stryker disable next-line StringLiteral: without an encoding this is a Buffer, which JSON.parse reads as UTF-8 all the same
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SeedFileError(file, `cannot be read (${reason})`);
  }

  let records: unknown;
  try {
    records = JSON.parse(text);
  } catch (error) {
    throw new SeedFileError(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(records)) {
    throw new SeedFileError(file, 'must hold a JSON array of accounts');
  }

  const seen = new Set<number>();
  const accounts = records.map((record: unknown, index) => {
    const where = describeRecord(record, index);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new SeedFileError(file, `${where} must be an object with id, name and balance`);
    }
    const account = plainToInstance(SeedRecord, record);
    const errors = validateSync(account, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true });
    if (errors.length > 0) {
      const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}));
      throw new SeedFileError(file, `${where}: ${problems.join('; ')}`);
    }
    if (seen.has(account.id)) {
      throw new SeedFileError(file, `${where}: duplicate id ${account.id}`);
    }
    seen.add(account.id);
    return { id: account.id, name: account.name, balance: account.balance };
  });
  assertIssuable(file, accounts);
  return accounts;
}

/**
 * Every seed balance is issued out of the issuance account (or, when
 * negative, into it), whose own balance must stay a safe integer on the way:
 * the positive balances together, and the negative ones, each within MAX_MONEY.
 */
function assertIssuable(file: string, accounts: readonly SeedAccount[]): void {
  let issued = 0;
  let returned = 0;
  for (const { balance } of accounts) {
    // Stryker disable next-line EqualityOperator: a zero balance adds nothing either way
    if (balance > 0) issued += balance;
    else returned -= balance;
  }
  for (const [total, what] of [
    [issued, 'positive'],
    [returned, 'negative'],
  ] as const) {
    if (total > MAX_MONEY) {
      throw new SeedFileError(
        file,
        `the ${what} balances add up to more than ${MAX_MONEY} in all, which no account can hold; ` +
          'each is issued out of one issuance account',
      );
    }
  }
}

function describeRecord(record: unknown, index: number): string {
  const id = (record as { id?: unknown } | null)?.id;
  return `record ${index + 1}` + (id === undefined ? '' : ` (id ${JSON.stringify(id)})`);
}
