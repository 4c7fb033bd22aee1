import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access } from '../auth/access.decorator';
import { RequestActor, type KeyActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit-trail';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { ApiErrors, STORE_WRITE_ERRORS } from '../common/http/api-errors.decorator';
import { etagOf, ifNoneMatchHits } from '../common/http/etag';
import { ApiPageResponse, pageOf, type Page } from '../common/http/page';
import { PageQuery } from '../common/http/page-query.dto';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { answerCreated } from '../idempotency/answer-created';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { Account } from './dto/account.dto';
import { AccountsService } from './accounts.service';
import { CreateAccountDto } from './dto/create-account.dto';
import { RenameAccountDto } from './dto/rename-account.dto';

const IF_MATCH_HEADER = { name: 'If-Match', required: false, description: 'The ETag from GET; 412 if it is stale' };
const IF_NONE_MATCH_HEADER = {
  name: 'If-None-Match',
  required: false,
  description: 'An ETag from GET; 304 if it is current',
};

@ApiTags('accounts')
@Controller('accounts')
@Access('read')
@ApiErrors('unauthenticated', 'insufficient_scope')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'Accounts, ordered by id, a page at a time' })
  @ApiErrors('invalid_request', 'invalid_cursor', 'store_unavailable', 'store_busy')
  @ApiPageResponse(Account)
  async list(@Query() query: PageQuery): Promise<Page<Account>> {
    return pageOf(await this.accounts.list(query), '/accounts');
  }

  @Post()
  @Access('write')
  @ApiOperation({
    summary: 'Open an account',
    description: 'A write key opens empty accounts; an openingBalance or an overdraftLimit needs an admin key (403)',
  })
  @ApiErrors('invalid_request', 'body_too_large', 'not_json', 'idempotency_key_reused', ...STORE_WRITE_ERRORS)
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: Account, description: 'Location gives the new account' })
  async create(
    @Body() dto: CreateAccountDto,
    @IdempotencyKey() key: string | undefined,
    @RequestActor() by: KeyActor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Account> {
    const written = await this.accounts.create(dto, key, by);
    res.setHeader('ETag', etagOf(written.value.version));
    return answerCreated(res, written, (account) => `/accounts/${account.id}`);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account, open or closed, with its ETag' })
  @ApiErrors('invalid_request', 'account_not_found', 'store_unavailable', 'store_busy')
  @ApiHeader(IF_NONE_MATCH_HEADER)
  @ApiOkResponse({ type: Account })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'If-None-Match names the current ETag: no body' })
  async get(
    @Param('id', ParseIdPipe) id: number,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Account | undefined> {
    const account = await this.accounts.get(id);
    res.setHeader('ETag', etagOf(account.version));
    if (ifNoneMatchHits(ifNoneMatch, account.version)) {
      res.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return account;
  }

  @Patch(':id')
  @Access('write')
  @ApiOperation({ summary: 'Rename an account' })
  @ApiErrors(
    'invalid_request',
    'account_not_found',
    'account_closed',
    'stale_version',
    'body_too_large',
    'not_json',
    ...STORE_WRITE_ERRORS,
  )
  @ApiHeader(IF_MATCH_HEADER)
  @ApiOkResponse({ type: Account })
  async rename(
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: RenameAccountDto,
    @Headers('if-match') ifMatch: string | undefined,
    @RequestActor() by: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Account> {
    const account = await this.accounts.rename(id, dto.name, ifMatch, by);
    res.setHeader('ETag', etagOf(account.version));
    return account;
  }

  @Delete(':id')
  @Access('write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Close an account whose balance is zero; its history is kept' })
  @ApiErrors('invalid_request', 'account_not_found', 'balance_not_zero', 'stale_version', ...STORE_WRITE_ERRORS)
  @ApiHeader(IF_MATCH_HEADER)
  @ApiNoContentResponse()
  close(
    @Param('id', ParseIdPipe) id: number,
    @Headers('if-match') ifMatch: string | undefined,
    @RequestActor() by: Actor,
  ): Promise<void> {
    return this.accounts.close(id, ifMatch, by);
  }

  @All()
  @ApiExcludeEndpoint()
  collectionNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET', 'POST'], req.method, req.path);
  }

  @All(':id')
  @ApiExcludeEndpoint()
  itemNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET', 'PATCH', 'DELETE'], req.method, req.path);
  }
}
