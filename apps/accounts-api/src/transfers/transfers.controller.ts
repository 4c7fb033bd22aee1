import { All, Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access } from '../auth/access.decorator';
import { RequestActor } from '../auth/actor.decorator';
import type { Actor } from '../audit/audit-trail';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { ApiErrors, STORE_WRITE_ERRORS } from '../common/http/api-errors.decorator';
import { ApiPageResponse, pageOf, type Page } from '../common/http/page';
import { PageQuery } from '../common/http/page-query.dto';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { answerCreated } from '../idempotency/answer-created';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { CreateIssuanceDto } from './dto/create-issuance.dto';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { LedgerEntry, Transfer } from './transfer';
import { TransfersService } from './transfers.service';

@ApiTags('transfers')
@Controller()
@Access('read')
@ApiErrors('unauthenticated', 'insufficient_scope')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('transfers')
  @Access('write')
  @ApiOperation({ summary: 'Move money between two open accounts, atomically' })
  @ApiErrors(
    'invalid_request',
    'same_account',
    'account_not_found',
    'account_closed',
    'overdraft_refused',
    'balance_limit_exceeded',
    'body_too_large',
    'not_json',
    'idempotency_key_reused',
    ...STORE_WRITE_ERRORS,
  )
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: Transfer, description: 'Location gives the new transfer' })
  async create(
    @Body() dto: CreateTransferDto,
    @IdempotencyKey() key: string | undefined,
    @RequestActor() by: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Transfer> {
    return answerCreated(res, await this.transfers.create(dto, key, by), (transfer) => `/transfers/${transfer.id}`);
  }

  @Post('issuances')
  @Access('admin')
  @ApiOperation({
    summary: 'Issue money: a transfer from the issuance account (0) to a customer account, by admin keys only',
  })
  @ApiErrors(
    'invalid_request',
    'account_not_found',
    'account_closed',
    'balance_limit_exceeded',
    'body_too_large',
    'not_json',
    'idempotency_key_reused',
    ...STORE_WRITE_ERRORS,
  )
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: Transfer, description: 'Location gives the issuance, a transfer from account 0' })
  async issue(
    @Body() dto: CreateIssuanceDto,
    @IdempotencyKey() key: string | undefined,
    @RequestActor() by: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Transfer> {
    return answerCreated(res, await this.transfers.issue(dto, key, by), (transfer) => `/transfers/${transfer.id}`);
  }

  @Get('transfers/:id')
  @ApiOperation({ summary: 'One transfer' })
  @ApiErrors('invalid_request', 'transfer_not_found', 'store_unavailable', 'store_busy')
  @ApiOkResponse({ type: Transfer })
  get(@Param('id', ParseIdPipe) id: number): Promise<Transfer> {
    return this.transfers.get(id);
  }

  @Get('accounts/:id/transactions')
  @ApiOperation({ summary: "An account's ledger, oldest first, a page at a time" })
  @ApiErrors('invalid_request', 'invalid_cursor', 'account_not_found', 'store_unavailable', 'store_busy')
  @ApiPageResponse(LedgerEntry)
  async ledger(@Param('id', ParseIdPipe) id: number, @Query() query: PageQuery): Promise<Page<LedgerEntry>> {
    return pageOf(await this.transfers.ledger(id, query), `/accounts/${id}/transactions`);
  }

  @All(['transfers', 'issuances'])
  @ApiExcludeEndpoint()
  collectionNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['POST'], req.method, req.path);
  }

  @All(['transfers/:id', 'accounts/:id/transactions'])
  @ApiExcludeEndpoint()
  itemNotAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET'], req.method, req.path);
  }
}
