import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_MONEY, NAME_MAX_LENGTH } from '../account';
import { IsAccountName, NAME_RULE, NormalizeName } from '../account-name';

export class CreateAccountDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: NAME_MAX_LENGTH, description: NAME_RULE })
  @NormalizeName()
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX_LENGTH)
  @IsAccountName()
  readonly name!: string;

  @ApiPropertyOptional({
    example: 100,
    minimum: 0,
    default: 0,
    description: 'Whole units, issued to the account: more than 0 needs an admin key',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MONEY)
  readonly openingBalance?: number;

  @ApiPropertyOptional({
    example: 0,
    minimum: 0,
    default: 0,
    description: 'How far below zero transfers may go: more than 0 needs an admin key',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MONEY)
  readonly overdraftLimit?: number;
}
