import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NAME_MAX_LENGTH } from '../account';
import { IsAccountName, NAME_RULE, NormalizeName } from '../account-name';

/** The one field PATCH changes: balances move only through transfers. */
export class RenameAccountDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: NAME_MAX_LENGTH, description: NAME_RULE })
  @NormalizeName()
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX_LENGTH)
  @IsAccountName()
  readonly name!: string;
}
