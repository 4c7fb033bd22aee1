import { ApiProperty } from '@nestjs/swagger';

export class Transfer {
  @ApiProperty({ example: 1 })
  readonly id!: number;
  @ApiProperty({ example: 1, description: 'The account debited' })
  readonly from!: number;
  @ApiProperty({ example: 3, description: 'The account credited' })
  readonly to!: number;
  @ApiProperty({ example: 5, minimum: 1, description: 'Whole units' })
  readonly amount!: number;
  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;
  @ApiProperty({
    example: 'billing-batch',
    nullable: true,
    type: String,
    description: 'The API key that made the transfer',
  })
  readonly createdBy!: string | null;
}

/** One side of a transfer, as the account's ledger shows it. */
export class LedgerEntry {
  @ApiProperty({ example: 1 })
  readonly id!: number;
  @ApiProperty({ example: 1 })
  readonly accountId!: number;
  @ApiProperty({ example: 1 })
  readonly transferId!: number;
  @ApiProperty({ example: -5, description: 'Negative for a debit, positive for a credit' })
  readonly amount!: number;
  @ApiProperty({ example: 5 })
  readonly balanceAfter!: number;
  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;
  @ApiProperty({
    example: 'billing-batch',
    nullable: true,
    type: String,
    description: 'The API key that made the transfer',
  })
  readonly createdBy!: string | null;
}

export interface TransferRow {
  readonly id: number;
  readonly from_id: number;
  readonly to_id: number;
  readonly amount: number;
  readonly created_at: string;
  readonly created_by: string | null;
}

export interface LedgerEntryRow {
  readonly id: number;
  readonly account_id: number;
  readonly transfer_id: number;
  readonly amount: number;
  readonly balance_after: number;
  readonly created_at: string;
  readonly created_by: string | null;
}

export const toTransfer = (row: TransferRow): Transfer => ({
  id: row.id,
  from: row.from_id,
  to: row.to_id,
  amount: row.amount,
  createdAt: row.created_at,
  createdBy: row.created_by,
});

export const toLedgerEntry = (row: LedgerEntryRow): LedgerEntry => ({
  id: row.id,
  accountId: row.account_id,
  transferId: row.transfer_id,
  amount: row.amount,
  balanceAfter: row.balance_after,
  createdAt: row.created_at,
  createdBy: row.created_by,
});
