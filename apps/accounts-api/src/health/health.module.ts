import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { httpConfig } from '../config/http.config';
import { DrainService } from './drain.service';
import { HealthController } from './health.controller';
import { StoreHealthIndicator } from './store.health';

@Module({
  imports: [TerminusModule, ConfigModule.forFeature(httpConfig)],
  controllers: [HealthController],
  providers: [StoreHealthIndicator, DrainService],
  exports: [DrainService],
})
export class HealthModule {}
