import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NAME_MAX_LENGTH } from '../account';

/** The one field PATCH changes: balances move only through transfers. */
export class RenameAccountDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: NAME_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX_LENGTH)
  readonly name!: string;
}
