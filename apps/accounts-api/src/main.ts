import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import { APP_OPTIONS, configureApp } from './app.setup';
import { ROOT_LOGGER } from './common/logging/logger';
import { httpConfig, type HttpConfig } from './config/http.config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    ...APP_OPTIONS,
    bufferLogs: true,
    // Let boot errors reach the catch below, which says what to fix.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app);
  // SIGTERM from `docker compose down` closes the server and lets requests in flight finish.
  app.enableShutdownHooks();

  const http = app.get<HttpConfig>(httpConfig.KEY);
  const server = app.getHttpServer();
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  // createServer's option of that name, which Node reads from the server when
  // it starts listening; Nest makes the server without options.
  Object.assign(server, { connectionsCheckingInterval: http.timeoutCheckIntervalMs });

  await app.listen(http.port, '0.0.0.0');
  // The logger holds lines for up to half a second: what the start did (the
  // seed, the bootstrap key) is written before the first healthcheck passes.
  app.get<PinoLogger>(ROOT_LOGGER).flush();
}

bootstrap().catch((error: unknown) => {
  // The logger may not exist yet (bad config, bad seed file): say why on stderr and exit non-zero.
  process.stderr.write(`accounts-api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
