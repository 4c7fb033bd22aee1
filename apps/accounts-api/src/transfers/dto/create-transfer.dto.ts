import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_MONEY } from '../../accounts/account';

// Account 0, the issuance account, is where money comes from, not a party to a customer's transfer.
const CUSTOMER_ACCOUNT = (field: string) =>
  `${field} must be a customer account's id, 1 or more; money enters the books with POST /issuances (admin keys)`;

export class CreateTransferDto {
  @ApiProperty({ example: 1, minimum: 1, description: 'The account to debit' })
  @IsInt()
  @Min(1, { message: CUSTOMER_ACCOUNT('from') })
  @Max(Number.MAX_SAFE_INTEGER)
  readonly from!: number;

  @ApiProperty({ example: 3, minimum: 1, description: 'The account to credit; not the same as from' })
  @IsInt()
  @Min(1, { message: CUSTOMER_ACCOUNT('to') })
  @Max(Number.MAX_SAFE_INTEGER)
  readonly to!: number;

  @ApiProperty({ example: 5, minimum: 1, description: 'Whole units, more than zero' })
  @IsInt()
  @Min(1)
  @Max(MAX_MONEY)
  readonly amount!: number;
}
