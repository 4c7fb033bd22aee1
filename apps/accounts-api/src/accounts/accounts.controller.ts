import { All, Controller, Header, HttpCode, HttpStatus, Options, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { MethodNotAllowedException } from '../common/exceptions/method-not-allowed.exception';
import type { Account } from './account';
import { AccountsService } from './accounts.service';

const ROOT_METHODS = ['POST', 'OPTIONS'] as const;

/** The talk's contract: POST / lists the accounts; other methods get 405 with `Allow`. */
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  list(): readonly Account[] {
    return this.accounts.list();
  }

  @Options()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Header('Allow', ROOT_METHODS.join(', '))
  options(): void {}

  // Declared last: Nest registers routes in order, so this only sees the methods above did not take.
  @All()
  notAllowed(@Req() req: Request): never {
    throw new MethodNotAllowedException(ROOT_METHODS, req.method, req.path);
  }
}
