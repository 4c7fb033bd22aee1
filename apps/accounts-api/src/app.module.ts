import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module';
import { AuditModule } from './audit/audit.module';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { HttpErrorFilter } from './common/filters/http-error.filter';
import { AppValidationPipe } from './common/http/app-validation.pipe';
import { JsonBodyGuard } from './common/http/json-body.guard';
import { LoggingModule } from './common/logging/logging.module';
import { httpConfig } from './config/http.config';
import { loggingConfig } from './config/logging.config';
import { HealthModule } from './health/health.module';
import { LedgerModule } from './ledger/ledger.module';
import { MetricsModule } from './metrics/metrics.module';
import { SeedModule } from './seed/seed.module';
import { StoreModule } from './store/store.module';
import { TransfersModule } from './transfers/transfers.module';

@Module({
  imports: [
    // Settings come from the container's environment only; no .env file is read.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [httpConfig, loggingConfig] }),
    LoggingModule,
    MetricsModule,
    StoreModule,
    SeedModule,
    AuthModule,
    AccountsModule,
    TransfersModule,
    AuditModule,
    LedgerModule,
    HealthModule,
  ],
  providers: [
    // Registered here rather than in main.ts so that e2e tests get the same pipeline.
    { provide: APP_PIPE, useClass: AppValidationPipe },
    // Global guards run in this order: a request is authenticated before its body is read.
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: JsonBodyGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class AppModule {}
