import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotIn, IsString, Matches, MaxLength } from 'class-validator';
import { SYSTEM_ACTORS } from '../../audit/audit-trail';
import { KEY_NAME_MAX_LENGTH } from '../api-key-info';
import { SCOPES, type Scope } from '../scope';

/** Names go into logs, audit columns and URLs: plain words only. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const KEY_NAME_RULE = 'letters, digits, ".", "_" and "-", starting with a letter or digit';

/**
 * The audit trail's actors that are not keys. `bootstrap` is not among them:
 * that actor is the bootstrap key itself.
 */
const RESERVED_KEY_NAMES = [SYSTEM_ACTORS.seed.name, SYSTEM_ACTORS.cli.name];

export class CreateKeyDto {
  @ApiProperty({ example: 'billing-batch', maxLength: KEY_NAME_MAX_LENGTH, pattern: KEY_NAME_PATTERN.source })
  @IsString()
  @MaxLength(KEY_NAME_MAX_LENGTH)
  @Matches(KEY_NAME_PATTERN, { message: `name must be ${KEY_NAME_RULE}` })
  @IsNotIn(RESERVED_KEY_NAMES, {
    message: `name must not be ${RESERVED_KEY_NAMES.join(' or ')}: the audit trail names changes made without a key so`,
  })
  readonly name!: string;

  @ApiProperty({ enum: SCOPES })
  @IsIn(SCOPES, { message: `scope must be one of ${SCOPES.join(', ')}` })
  readonly scope!: Scope;
}
