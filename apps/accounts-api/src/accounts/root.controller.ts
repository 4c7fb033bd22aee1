import { All, Controller, Header, HttpCode, HttpStatus, Options, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access } from '../auth/access.decorator';
import { UnsupportedMethodException } from '../common/exceptions/unsupported-method.exception';
import { AccountSummary } from './dto/account.dto';
import { AccountsService } from './accounts.service';

const ROOT_METHODS = ['POST', 'OPTIONS'] as const;

/** The talk's contract: POST / lists the accounts; other methods get 405 with `Allow`. */
@ApiTags('talk')
@Controller()
@Access('public')
export class RootController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Every open account, ordered by id (the talk's contract)" })
  @ApiOkResponse({ type: [AccountSummary] })
  list(): Promise<readonly AccountSummary[]> {
    return this.accounts.summaries();
  }

  @Options()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Header('Allow', ROOT_METHODS.join(', '))
  @ApiOperation({ summary: 'The methods / allows, in the Allow header' })
  options(): void {}

  // Declared last: Nest registers routes in order, so this only sees the methods above did not take.
  @All()
  @ApiExcludeEndpoint()
  notAllowed(@Req() req: Request): never {
    throw new UnsupportedMethodException(ROOT_METHODS, req.method, req.path);
  }
}
