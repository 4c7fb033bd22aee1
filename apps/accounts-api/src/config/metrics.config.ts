import { ConfigType, registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';
import { validateEnv } from './validate-env';

/** OpenTelemetry's Prometheus exporter's default port, where scrapers of Node services often look first. */
const DEFAULT_METRICS_PORT = 9464;

class MetricsEnv {
  /**
   * The port of the api's Prometheus listener, apart from PORT so that the
   * proxy, which forwards to PORT only, can never serve it; `0` takes any
   * free port (the e2e specs), `off` measures nothing and listens nowhere.
   */
  @IsOptional()
  @Matches(/^(off|0|[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/, {
    message: '$property must be a port (0 to 65535) or off',
  })
  readonly METRICS_PORT?: string;
}

export const metricsConfig = registerAs('metrics', () => {
  const value = validateEnv(MetricsEnv).METRICS_PORT ?? String(DEFAULT_METRICS_PORT);
  return value === 'off' ? { enabled: false as const } : { enabled: true as const, port: Number(value) };
});

export type MetricsConfig = ConfigType<typeof metricsConfig>;
