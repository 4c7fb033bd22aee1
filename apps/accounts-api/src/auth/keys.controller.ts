import { All, Body, Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { ApiErrors, STORE_WRITE_ERRORS } from '../common/http/api-errors.decorator';
import type { Actor } from '../audit/audit-trail';
import { Access } from './access.decorator';
import { RequestActor } from './actor.decorator';
import { ApiKeyInfo, CreatedApiKey } from './api-key-info';
import { ApiKeysService } from './api-keys.service';
import { CreateKeyDto } from './dto/create-key.dto';

/** Key management over HTTP, for admin keys; `dist/cli/keys.js` does the same from inside a container. */
@ApiTags('keys')
@Controller('keys')
@Access('admin')
@ApiErrors('unauthenticated', 'insufficient_scope')
export class KeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Make a key; the answer is the only time the key is shown' })
  @ApiErrors('invalid_request', 'key_name_taken', 'body_too_large', 'not_json', ...STORE_WRITE_ERRORS)
  @ApiCreatedResponse({ type: CreatedApiKey, description: 'Location names the key' })
  async create(
    @Body() dto: CreateKeyDto,
    @RequestActor() by: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedApiKey> {
    const created = await this.keys.create(dto.name, dto.scope, by);
    res.location(`/keys/${encodeURIComponent(created.name)}`);
    return created;
  }

  @Get()
  @ApiOperation({ summary: 'Every key, revoked ones included, oldest first: names, scopes and times, never a key' })
  @ApiErrors('store_unavailable', 'store_busy')
  @ApiOkResponse({ type: [ApiKeyInfo] })
  list(): Promise<ApiKeyInfo[]> {
    return this.keys.list();
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Revoke a key, on every replica within a second; revoking it again changes nothing' })
  @ApiErrors('key_not_found', 'last_admin_key', ...STORE_WRITE_ERRORS)
  @ApiOkResponse({ type: ApiKeyInfo })
  revoke(@Param('name') name: string, @RequestActor() by: Actor): Promise<ApiKeyInfo> {
    return this.keys.revoke(name, by);
  }

  @All()
  @ApiExcludeEndpoint()
  collectionNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET', 'POST'], req.method, req.path);
  }

  @All(':name')
  @ApiExcludeEndpoint()
  itemNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['DELETE'], req.method, req.path);
  }
}
