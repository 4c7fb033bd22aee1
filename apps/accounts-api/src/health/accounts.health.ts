import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AccountsService } from '../accounts/accounts.service';

/** Up once the accounts are loaded and can be served. */
@Injectable()
export class AccountsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly accounts: AccountsService,
  ) {}

  isHealthy(key: string) {
    const indicator = this.health.check(key);
    return this.accounts.isLoaded()
      ? indicator.up({ accounts: this.accounts.list().length })
      : indicator.down('accounts are not loaded');
  }
}
