import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Access } from '../auth/access.decorator';
import { readApiVersion } from './api-version';
import { DrainService } from './drain.service';
import { StoreHealthIndicator } from './store.health';

@ApiTags('health')
@Controller('health')
@Access('public')
export class HealthController {
  /** Read once per boot: what a rolling update or a bug report asks of a replica is which release answers. */
  private readonly version = readApiVersion();

  constructor(
    private readonly health: HealthCheckService,
    private readonly store: StoreHealthIndicator,
    private readonly drain: DrainService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** 200 when every indicator is up, 503 otherwise; the container healthcheck calls it. `info.api.version` is package.json's. */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 while the store answers and the api is not shutting down, 503 otherwise' })
  check() {
    return this.health.check([
      () => {
        const api = this.indicators.check('api');
        return this.drain.draining ? api.down('draining before shutdown') : api.up({ version: this.version });
      },
      () => this.store.isHealthy('store'),
    ]);
  }
}
