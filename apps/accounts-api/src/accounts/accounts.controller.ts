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
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { MethodNotAllowedException } from '../common/exceptions/method-not-allowed.exception';
import { ApiErrors } from '../common/http/api-errors.decorator';
import { etagOf } from '../common/http/etag';
import { ApiPageResponse, PageQuery, type Page } from '../common/http/pagination';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { reply } from '../common/http/write-result';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { Account } from './account';
import { AccountsService } from './accounts.service';
import { CreateAccountDto } from './dto/create-account.dto';
import { RenameAccountDto } from './dto/rename-account.dto';

const IF_MATCH_HEADER = { name: 'If-Match', required: false, description: 'The ETag from GET; 412 if it is stale' };

@ApiTags('accounts')
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'Accounts, ordered by id, a page at a time' })
  @ApiErrors(400, 503)
  @ApiPageResponse(Account)
  list(@Query() query: PageQuery): Page<Account> {
    return this.accounts.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Open an account' })
  @ApiErrors(400, 413, 415, 422, 503, 507)
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: Account, description: 'Location gives the new account' })
  create(
    @Body() dto: CreateAccountDto,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Account {
    const result = this.accounts.create(dto, key);
    res.setHeader('ETag', etagOf(result.body.version));
    return reply(res, result);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account, open or closed, with its ETag' })
  @ApiErrors(400, 404, 503)
  @ApiOkResponse({ type: Account })
  get(@Param('id', ParseIdPipe) id: number, @Res({ passthrough: true }) res: Response): Account {
    const account = this.accounts.get(id);
    res.setHeader('ETag', etagOf(account.version));
    return account;
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename an account' })
  @ApiErrors(400, 404, 409, 412, 413, 415, 503, 507)
  @ApiHeader(IF_MATCH_HEADER)
  @ApiOkResponse({ type: Account })
  rename(
    @Param('id', ParseIdPipe) id: number,
    @Body() dto: RenameAccountDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Account {
    const account = this.accounts.rename(id, dto.name, ifMatch);
    res.setHeader('ETag', etagOf(account.version));
    return account;
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Close an account whose balance is zero; its history is kept' })
  @ApiErrors(400, 404, 409, 412, 503, 507)
  @ApiHeader(IF_MATCH_HEADER)
  @ApiNoContentResponse()
  close(@Param('id', ParseIdPipe) id: number, @Headers('if-match') ifMatch: string | undefined): void {
    this.accounts.close(id, ifMatch);
  }

  @All()
  @ApiExcludeEndpoint()
  collectionNotAllowed(@Req() req: Request): never {
    throw new MethodNotAllowedException(['GET', 'POST'], req.method, req.path);
  }

  @All(':id')
  @ApiExcludeEndpoint()
  itemNotAllowed(@Req() req: Request): never {
    throw new MethodNotAllowedException(['GET', 'PATCH', 'DELETE'], req.method, req.path);
  }
}
