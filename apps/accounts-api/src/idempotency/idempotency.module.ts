import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { storeConfig } from '../config/store.config';
import { IdempotencyService } from './idempotency.service';

@Module({
  imports: [ConfigModule.forFeature(storeConfig)],
  providers: [IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
