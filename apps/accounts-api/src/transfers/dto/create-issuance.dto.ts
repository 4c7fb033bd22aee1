import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_MONEY } from '../../accounts/account';

export class CreateIssuanceDto {
  @ApiProperty({ example: 1, minimum: 1, description: 'The customer account the new money goes to' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  readonly to!: number;

  @ApiProperty({ example: 100, minimum: 1, description: 'Whole units, more than zero' })
  @IsInt()
  @Min(1)
  @Max(MAX_MONEY)
  readonly amount!: number;
}
