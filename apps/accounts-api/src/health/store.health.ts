import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Database } from '../store/database';

/** Up while the store answers a query; down (and /health 503) when the file cannot be read. */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly db: Database,
  ) {}

  isHealthy(key: string) {
    const indicator = this.health.check(key);
    try {
      const row = this.db.get<{ accounts: number }>('SELECT count(*) AS accounts FROM accounts');
      return indicator.up({ accounts: row?.accounts ?? 0 });
    } catch (error) {
      return indicator.down(error instanceof Error ? error.message : String(error));
    }
  }
}
