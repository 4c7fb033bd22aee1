import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggingConfig } from '../../config/logging.config';
import { ROOT_LOGGER, createLogger, nestjsPinoParams } from './logger';

const rootLogger = { provide: ROOT_LOGGER, inject: [loggingConfig.KEY], useFactory: createLogger };

@Module({ providers: [rootLogger], exports: [ROOT_LOGGER] })
class RootLoggerModule {}

/** The pino logger (ROOT_LOGGER) and nestjs-pino's `Logger` over it, for `app.useLogger`. */
@Global()
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({ imports: [RootLoggerModule], inject: [ROOT_LOGGER], useFactory: nestjsPinoParams }),
  ],
  exports: [RootLoggerModule, LoggerModule],
})
export class LoggingModule {}
