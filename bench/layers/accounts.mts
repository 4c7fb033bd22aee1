import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/docker.ts';

/**
 * What every layer answers to `POST /`: the seed's accounts, as the api lists
 * them on a fresh store. Read from the seed file, so that the layers and the
 * api send the same bytes.
 */
export const ACCOUNTS = JSON.parse(readFileSync(join(REPO_ROOT, 'data/seed/accounts.json'), 'utf8')) as unknown[];
export const ACCOUNTS_JSON = JSON.stringify(ACCOUNTS);

export function port(): number {
  const value = Number(process.env.PORT);
  if (!Number.isInteger(value) || value <= 0) throw new Error('PORT must be set to the port to listen on');
  return value;
}
