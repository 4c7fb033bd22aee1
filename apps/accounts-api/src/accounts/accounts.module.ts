import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { seedConfig } from '../config/seed.config';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';

@Module({
  imports: [ConfigModule.forFeature(seedConfig)],
  controllers: [AccountsController],
  providers: [AccountsService],
  exports: [AccountsService],
})
export class AccountsModule {}
