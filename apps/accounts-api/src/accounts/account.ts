import { ApiProperty } from '@nestjs/swagger';

/** Money is whole units in integers everywhere: never a float. */
export const NAME_MAX_LENGTH = 100;

/** The largest amount or balance the api accepts: beyond it JSON numbers lose precision. */
export const MAX_MONEY = Number.MAX_SAFE_INTEGER;

export type AccountStatus = 'open' | 'closed';

/** The talk's view of an account, as POST / lists it. */
export class AccountSummary {
  @ApiProperty({ example: 1 })
  readonly id!: number;
  @ApiProperty({ example: 'joe', maxLength: NAME_MAX_LENGTH })
  readonly name!: string;
  @ApiProperty({ example: 10, description: 'Whole units; negative when overdrawn' })
  readonly balance!: number;
}

/** An account as clients see it at GET /accounts/:id. */
export class Account extends AccountSummary {
  @ApiProperty({ example: 10, description: 'The balance the account was opened (or seeded) with' })
  readonly openingBalance!: number;
  @ApiProperty({ example: 0, minimum: 0, description: 'How far below zero transfers may take the balance' })
  readonly overdraftLimit!: number;
  @ApiProperty({ enum: ['open', 'closed'] })
  readonly status!: AccountStatus;
  @ApiProperty({ example: 1, description: 'Bumped by every change; the ETag is derived from it' })
  readonly version!: number;
  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  readonly updatedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  readonly closedAt!: string | null;
  @ApiProperty({
    example: 'billing-batch',
    nullable: true,
    type: String,
    description: 'The API key that opened the account; null for accounts from the seed file',
  })
  readonly createdBy!: string | null;
  @ApiProperty({
    example: 'billing-batch',
    nullable: true,
    type: String,
    description:
      'The API key behind the latest rename or close; null if neither happened (transfers are in the ledger)',
  })
  readonly updatedBy!: string | null;
}

export interface AccountRow {
  readonly id: number;
  readonly name: string;
  readonly balance: number;
  readonly opening_balance: number;
  readonly overdraft_limit: number;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
  readonly closed_at: string | null;
  readonly created_by: string | null;
  readonly updated_by: string | null;
}

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
