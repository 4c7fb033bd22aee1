import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { storeConfig, type StoreConfig } from '../config/store.config';
import { Metrics } from '../metrics/metrics';
import { Store } from './store';
import { openMigratedStore } from './store.factory';

@Global()
@Module({
  imports: [ConfigModule.forFeature(storeConfig)],
  providers: [
    {
      provide: Store,
      inject: [storeConfig.KEY, Metrics],
      // Migrating here, before any module's init, means no code ever sees an old schema.
      useFactory: async (config: StoreConfig, metrics: Metrics) => {
        const store = await openMigratedStore(config);
        store.reportTo(metrics);
        return store;
      },
    },
  ],
  exports: [Store],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(Store) private readonly store: Store) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
