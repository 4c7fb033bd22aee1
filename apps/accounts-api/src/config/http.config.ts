import { ConfigType, registerAs } from '@nestjs/config';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { validateEnv } from './validate-env';

class HttpEnv {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  readonly PORT?: number;

  /**
   * Must stay above the proxy's upstream keepalive_timeout (60 s in
   * docker/proxy/nginx.conf), or Node closes a pooled connection just as nginx
   * reuses it and the client sees a 502.
   */
  @IsOptional()
  @IsInt()
  @Min(61_000)
  readonly HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;

  /**
   * How long the api keeps serving after SIGTERM before it closes: longer
   * than the proxy keeps the api's addresses (resolver valid=2s in
   * docker/proxy/nginx.conf), so that nginx stops choosing this replica
   * before it goes. 0 closes at once.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  readonly SHUTDOWN_DRAIN_MS?: number;
}

export const httpConfig = registerAs('http', () => {
  const env = validateEnv(HttpEnv);
  const keepAliveTimeoutMs = env.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 65_000;
  return {
    port: env.PORT ?? 3000,
    keepAliveTimeoutMs,
    // Node requires headersTimeout > keepAliveTimeout for idle sockets to close cleanly.
    headersTimeoutMs: keepAliveTimeoutMs + 1_000,
    // The whole request, body included, must arrive within this (Node answers
    // 408 and closes otherwise), so a body trickled a byte every few seconds
    // cannot hold a connection without end. nginx in front forwards only
    // whole bodies (docker/proxy/nginx.conf says why); this covers the api
    // reached any other way, such as the bench's published port.
    requestTimeoutMs: keepAliveTimeoutMs + 1_000,
    // How often Node looks for requests past those deadlines; its default of
    // 30 s would let a trickled body run up to half a minute past the deadline.
    timeoutCheckIntervalMs: 2_000,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS ?? 6_000,
  };
});

export type HttpConfig = ConfigType<typeof httpConfig>;
