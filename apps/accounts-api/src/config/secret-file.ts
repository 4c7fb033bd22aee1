import { readFileSync } from 'node:fs';

/**
 * The value of a secret handed in as a file (`<NAME>_FILE`, the convention of
 * the official images): a Docker secret under /run/secrets never shows in
 * `docker inspect` or the environment. Editors and `echo` leave a trailing
 * newline that is not part of the value.
 */
export function readSecretFile(variable: string, file: string, { allowEmpty = false } = {}): string {
  let value: string;
  try {
    value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(
      `Invalid environment: ${variable}=${file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      { cause: error },
    );
  }
  if (value === '' && !allowEmpty) throw new Error(`Invalid environment: ${variable}=${file} is empty`);
  return value;
}
