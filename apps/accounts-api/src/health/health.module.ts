import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccountsModule } from '../accounts/accounts.module';
import { AccountsHealthIndicator } from './accounts.health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, AccountsModule],
  controllers: [HealthController],
  providers: [AccountsHealthIndicator],
})
export class HealthModule {}
