import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../audit-trail';

/** One entry of the audit trail, as GET /audit lists it. */
export class AuditEvent {
  @ApiProperty({ example: 7 })
  readonly id!: number;
  @ApiProperty({ format: 'date-time' })
  readonly occurredAt!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES })
  readonly type!: AuditEventType;
  @ApiProperty({
    example: 'billing-batch',
    description: 'The name of the key that made the change, or bootstrap, seed or cli for changes made without one',
  })
  readonly actor!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The X-Request-Id of the request that made the change, as in both access logs; null outside a request',
  })
  readonly requestId!: string | null;
  @ApiProperty({ example: 'accounts/4', description: 'What changed, as a path: accounts/ID, keys/NAME or seed' })
  readonly subject!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { name: 'alice', openingBalance: 0, overdraftLimit: 0 },
    description: 'What the change was: a scope, a name before and after, an opening balance',
  })
  readonly details!: Record<string, unknown>;
}
