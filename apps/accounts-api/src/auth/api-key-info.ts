import { ApiProperty } from '@nestjs/swagger';
import { SCOPES, type Scope } from './scope';

export const KEY_NAME_MAX_LENGTH = 64;

/** A key as it is listed: never the key, never its hash. */
export class ApiKeyInfo {
  @ApiProperty({ example: 'billing-batch', maxLength: KEY_NAME_MAX_LENGTH })
  readonly name!: string;
  @ApiProperty({ enum: SCOPES, description: 'admin includes write, and write includes read' })
  readonly scope!: Scope;
  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Updated at most once a minute per replica, so it may lag by that much',
  })
  readonly lastUsedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  readonly revokedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'ops-admin',
    description:
      'The key that revoked this one, or cli for the keys command; null if not revoked, or revoked before this was recorded',
  })
  readonly revokedBy!: string | null;
}

/** The answer to creating a key: the only time the key itself is shown. */
export class CreatedApiKey extends ApiKeyInfo {
  @ApiProperty({
    example: 'acckey_3f1c0d9e2b7a5c8e4f6a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcd9e8f7a6b5c4d3e2f',
    description: 'Shown once: store it now; the api keeps only its hash',
  })
  readonly key!: string;
}

export interface ApiKeyRow {
  readonly name: string;
  readonly scope: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
  readonly revoked_by: string | null;
}

export const toApiKeyInfo = (row: ApiKeyRow): ApiKeyInfo => ({
  name: row.name,
  scope: row.scope as Scope,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
});
