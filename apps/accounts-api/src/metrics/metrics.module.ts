import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { metricsConfig, type MetricsConfig } from '../config/metrics.config';
import { Metrics, NO_METRICS } from './metrics';
import { MetricsServer } from './metrics.server';
import { PrometheusMetrics } from './prometheus.metrics';

/** Gives every module `Metrics`, and serves them on METRICS_PORT unless it is `off`. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(metricsConfig)],
  providers: [
    {
      provide: Metrics,
      inject: [metricsConfig.KEY],
      useFactory: (config: MetricsConfig): Metrics => (config.enabled ? new PrometheusMetrics() : NO_METRICS),
    },
    MetricsServer,
  ],
  exports: [Metrics],
})
export class MetricsModule {}
