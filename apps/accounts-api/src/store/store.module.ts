import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { seedConfig } from '../config/seed.config';
import { storeConfig, type StoreConfig } from '../config/store.config';
import { Database } from './database';
import { migrate } from './migrations';
import { SeedService } from './seed.service';

@Global()
@Module({
  imports: [ConfigModule.forFeature(storeConfig), ConfigModule.forFeature(seedConfig)],
  providers: [
    {
      provide: Database,
      inject: [storeConfig.KEY],
      // Migrating here, before any module's init, means no code ever sees an old schema.
      useFactory: (store: StoreConfig) => {
        const db = new Database(store.file, store.busyTimeoutMs);
        try {
          migrate(db);
        } catch (error) {
          db.close();
          throw error;
        }
        return db;
      },
    },
    SeedService,
  ],
  exports: [Database],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  onApplicationShutdown(): void {
    this.db.close();
  }
}
