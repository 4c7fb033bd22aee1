import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AccountsHealthIndicator } from './accounts.health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly accounts: AccountsHealthIndicator,
  ) {}

  /** 200 when every indicator is up, 503 otherwise; the container healthcheck calls it. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.accounts.isHealthy('accounts')]);
  }
}
