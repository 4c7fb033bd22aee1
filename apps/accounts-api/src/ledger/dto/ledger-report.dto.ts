import { ApiProperty } from '@nestjs/swagger';

/** What GET /ledger answers: the figures the check added up, and every rule a row breaks. */
export class LedgerReportDto {
  @ApiProperty({ example: true, description: 'True when every rule holds: discrepancies is empty' })
  readonly ok!: boolean;
  @ApiProperty({ example: 4, description: 'Every account, the issuance account (0) included' })
  readonly accounts!: number;
  @ApiProperty({ example: 3 })
  readonly transfers!: number;
  @ApiProperty({ example: 6, description: 'Two per transfer' })
  readonly entries!: number;
  @ApiProperty({
    example: 49,
    description: 'The money in customer accounts: what the issuance account issued, net of what came back to it',
  })
  readonly issued!: number;
  @ApiProperty({ example: 0, description: 'The sum of every balance, the issuance account included: zero when ok' })
  readonly sum!: number;
  @ApiProperty({
    type: [String],
    example: [],
    description: 'One sentence per broken rule, naming the account, entry or transfer',
  })
  readonly discrepancies!: string[];
}
