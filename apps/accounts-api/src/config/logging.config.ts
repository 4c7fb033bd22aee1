import { ConfigType, registerAs } from '@nestjs/config';
import { IsIn, IsOptional } from 'class-validator';
import { validateEnv } from './validate-env';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

class LoggingEnv {
  @IsOptional()
  @IsIn(LEVELS)
  readonly LOG_LEVEL?: (typeof LEVELS)[number];
}

export const loggingConfig = registerAs('logging', () => ({
  level: validateEnv(LoggingEnv).LOG_LEVEL ?? 'info',
}));

export type LoggingConfig = ConfigType<typeof loggingConfig>;
