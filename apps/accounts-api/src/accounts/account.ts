import type { Selectable } from 'kysely';
import type { AccountsTable } from '../store/schema';

/** Money is whole units in integers everywhere: never a float. */
export const NAME_MAX_LENGTH = 100;

/** The largest amount or balance the api accepts: beyond it JSON numbers lose precision. */
export const MAX_MONEY = Number.MAX_SAFE_INTEGER;

export type AccountStatus = 'open' | 'closed';

/** An account as the store holds it. */
export type AccountRow = Selectable<AccountsTable>;
