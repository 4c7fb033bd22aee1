import { All, Controller, Get, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access } from '../auth/access.decorator';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { ApiErrors } from '../common/http/api-errors.decorator';
import { Store } from '../store/store';
import { LedgerReportDto } from './dto/ledger-report.dto';
import { checkLedger } from './ledger-check';

/**
 * The ledger check of `node dist/cli/ledger.js verify`, over HTTP, for
 * admins: a monitor can call it. It reads every entry in one consistent
 * snapshot, so it costs what the store's size costs; the answer is 200
 * either way, with `ok` and the discrepancies, since a broken rule is a
 * finding about the books, not a failed request.
 */
@ApiTags('ledger')
@Controller('ledger')
@Access('admin')
@ApiErrors('unauthenticated', 'insufficient_scope')
export class LedgerController {
  constructor(private readonly store: Store) {}

  @Get()
  @ApiOperation({
    summary:
      'Check the books: every balance is the sum of its entries, every transfer has two that sum to zero, ' +
      'and all balances, the issuance account included, sum to zero',
  })
  @ApiErrors('store_unavailable', 'store_busy')
  @ApiOkResponse({ type: LedgerReportDto })
  async check(): Promise<LedgerReportDto> {
    const report = await checkLedger(this.store);
    return { ok: report.discrepancies.length === 0, ...report, discrepancies: [...report.discrepancies] };
  }

  @All()
  @ApiExcludeEndpoint()
  notAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(['GET'], req.method, req.path);
  }
}
