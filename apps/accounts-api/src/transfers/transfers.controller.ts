import { All, Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { MethodNotAllowedException } from '../common/exceptions/method-not-allowed.exception';
import { ApiErrors } from '../common/http/api-errors.decorator';
import { ApiPageResponse, PageQuery, type Page } from '../common/http/pagination';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { reply } from '../common/http/write-result';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { LedgerEntry, Transfer } from './transfer';
import { TransfersService } from './transfers.service';

@ApiTags('transfers')
@Controller()
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('transfers')
  @ApiOperation({ summary: 'Move money between two open accounts, atomically' })
  @ApiErrors(400, 404, 409, 413, 415, 422, 503, 507)
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: Transfer, description: 'Location gives the new transfer' })
  create(
    @Body() dto: CreateTransferDto,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Transfer {
    return reply(res, this.transfers.create(dto, key));
  }

  @Get('transfers/:id')
  @ApiOperation({ summary: 'One transfer' })
  @ApiErrors(400, 404, 503)
  @ApiOkResponse({ type: Transfer })
  get(@Param('id', ParseIdPipe) id: number): Transfer {
    return this.transfers.get(id);
  }

  @Get('accounts/:id/transactions')
  @ApiOperation({ summary: "An account's ledger, oldest first, a page at a time" })
  @ApiErrors(400, 404, 503)
  @ApiPageResponse(LedgerEntry)
  ledger(@Param('id', ParseIdPipe) id: number, @Query() query: PageQuery): Page<LedgerEntry> {
    return this.transfers.ledger(id, query);
  }

  @All('transfers')
  @ApiExcludeEndpoint()
  collectionNotAllowed(@Req() req: Request): never {
    throw new MethodNotAllowedException(['POST'], req.method, req.path);
  }

  @All(['transfers/:id', 'accounts/:id/transactions'])
  @ApiExcludeEndpoint()
  itemNotAllowed(@Req() req: Request): never {
    throw new MethodNotAllowedException(['GET'], req.method, req.path);
  }
}
