import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { AccountsCache } from './accounts.cache';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { RootController } from './root.controller';

@Module({
  imports: [IdempotencyModule],
  controllers: [RootController, AccountsController],
  providers: [AccountsService, AccountsCache],
  exports: [AccountsService],
})
export class AccountsModule {}
