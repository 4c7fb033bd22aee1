import { All, Controller, Get, Query, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access } from '../auth/access.decorator';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { ApiErrors } from '../common/http/api-errors.decorator';
import { ApiPageResponse, pageOf, type Page } from '../common/http/page';
import { AuditService } from './audit.service';
import { AuditEvent } from './dto/audit-event.dto';
import { AuditQuery } from './dto/audit-query.dto';

@ApiTags('audit')
@Controller('audit')
@Access('admin')
@ApiErrors('unauthenticated', 'insufficient_scope')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'The audit trail, oldest first, a page at a time: keys made and revoked, accounts opened, renamed, closed',
  })
  @ApiErrors('invalid_request', 'invalid_cursor', 'store_unavailable', 'store_busy')
  @ApiPageResponse(AuditEvent)
  async list(@Query() query: AuditQuery): Promise<Page<AuditEvent>> {
    return pageOf(await this.audit.list(query), '/audit', { actor: query.actor, type: query.type });
  }

  @All()
  @ApiExcludeEndpoint()
  notAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET'], req.method, req.path);
  }
}
