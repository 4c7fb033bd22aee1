import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Access } from '../auth/access.decorator';
import { DrainService } from './drain.service';
import { StoreHealthIndicator } from './store.health';

@ApiTags('health')
@Controller('health')
@Access('public')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
    private readonly drain: DrainService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** 200 when every indicator is up, 503 otherwise; the container healthcheck calls it. */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 while the store answers and the api is not shutting down, 503 otherwise' })
  check() {
    return this.health.check([
      () => {
        const api = this.indicators.check('api');
        return this.drain.draining ? api.down('draining before shutdown') : api.up();
      },
      () => this.store.isHealthy('store'),
    ]);
  }
}
