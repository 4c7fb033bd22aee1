import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { KEY_NAME_MAX_LENGTH } from '../api-key-info';
import { SCOPES, type Scope } from '../scope';

/** Names go into logs, audit columns and URLs: plain words only. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const KEY_NAME_RULE = 'letters, digits, ".", "_" and "-", starting with a letter or digit';

export class CreateKeyDto {
  @ApiProperty({ example: 'billing-batch', maxLength: KEY_NAME_MAX_LENGTH, pattern: KEY_NAME_PATTERN.source })
  @IsString()
  @MaxLength(KEY_NAME_MAX_LENGTH)
  @Matches(KEY_NAME_PATTERN, { message: `name must be ${KEY_NAME_RULE}` })
  readonly name!: string;

  @ApiProperty({ enum: SCOPES })
  @IsIn(SCOPES, { message: `scope must be one of ${SCOPES.join(', ')}` })
  readonly scope!: Scope;
}
