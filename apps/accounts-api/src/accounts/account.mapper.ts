import type { AccountRow } from './account';
import type { Account } from './dto/account.dto';

/** The api's view of a stored account: camelCase, and a status in place of the close time's presence. */
export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    balance: row.balance,
    openingBalance: row.opening_balance,
    overdraftLimit: row.overdraft_limit,
    status: row.closed_at === null ? 'open' : 'closed',
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}
