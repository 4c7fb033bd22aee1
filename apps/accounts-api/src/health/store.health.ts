import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ISSUANCE_ACCOUNT_ID } from '../store/schema';
import { Store } from '../store/store';

/** Up while the store answers a query; down (and /health 503) when the database cannot be reached or read. */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: Store,
  ) {}

  async isHealthy(key: string) {
    const indicator = this.health.check(key);
    try {
      const { accounts } = await this.store.db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number>().as('accounts'))
        .where('id', '<>', ISSUANCE_ACCOUNT_ID)
        .executeTakeFirstOrThrow();
      return indicator.up({ store: this.store.dialect, accounts: Number(accounts) });
    } catch (error) {
      return indicator.down(error instanceof Error ? error.message : String(error));
    }
  }
}
