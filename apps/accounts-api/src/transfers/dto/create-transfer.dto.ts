import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_MONEY } from '../../accounts/account';

export class CreateTransferDto {
  @ApiProperty({ example: 1, description: 'The account to debit' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  readonly from!: number;

  @ApiProperty({ example: 3, description: 'The account to credit; not the same as from' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  readonly to!: number;

  @ApiProperty({ example: 5, minimum: 1, description: 'Whole units, more than zero' })
  @IsInt()
  @Min(1)
  @Max(MAX_MONEY)
  readonly amount!: number;
}
