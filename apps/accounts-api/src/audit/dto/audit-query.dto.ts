import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/http/page-query.dto';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../audit-trail';

/** `?limit=&cursor=` as every list, and what to keep. */
export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the changes made by this key (or bootstrap, seed, cli)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES, description: 'Only events of this type' })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES, { message: `type must be one of ${AUDIT_EVENT_TYPES.join(', ')}` })
  readonly type?: AuditEventType;
}
