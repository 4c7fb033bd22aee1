import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { StoreHealthIndicator } from './store.health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
  ) {}

  /** 200 when every indicator is up, 503 otherwise; the container healthcheck calls it. */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 while the store answers, 503 otherwise' })
  check() {
    return this.health.check([() => this.store.isHealthy('store')]);
  }
}
