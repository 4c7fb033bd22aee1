import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { authConfig } from '../config/auth.config';
import { ApiKeysService } from './api-keys.service';
import { BootstrapKeyService } from './bootstrap-key.service';
import { KeysController } from './keys.controller';

@Module({
  imports: [ConfigModule.forFeature(authConfig)],
  controllers: [KeysController],
  providers: [ApiKeysService, BootstrapKeyService],
  // For ApiKeyGuard, which app.module.ts registers first among the global guards.
  exports: [ApiKeysService],
})
export class AuthModule {}
