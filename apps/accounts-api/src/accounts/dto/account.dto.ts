import { ApiProperty } from '@nestjs/swagger';
import { NAME_MAX_LENGTH, type AccountStatus } from '../account';

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
