import { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { httpConfig, type HttpConfig } from '../config/http.config';

/**
 * A replica told to stop (SIGTERM from `docker stop`, a rolling update or
 * `docker compose down`) drains before it closes, so that the proxy in front
 * of it fails no request:
 *
 * - it stops accepting connections at once: a new one is refused before any
 *   request is sent on it, which nginx retries on another replica, POST
 *   included, and /health (the container healthcheck) fails;
 * - for SHUTDOWN_DRAIN_MS it keeps serving the connections it has, each
 *   answer with `Connection: close`, so nginx drops them one by one after a
 *   complete answer instead of finding them closed under a request;
 * - the drain outlasts nginx's DNS cache (2 s), so nginx has stopped
 *   choosing this replica when the last idle connections are closed and
 *   Nest closes the server; requests in flight finish.
 *
 * Node's own `server.close()` would also close idle keep-alive connections at
 * once, which is the race this avoids: nginx may be sending on one.
 */
@Injectable()
export class DrainService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DrainService.name);
  private drainingSince?: number;
  private answeredWhileDraining = 0;

  constructor(
    @Inject(httpConfig.KEY) private readonly http: HttpConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** For each request: true while draining, when its connection is to close after the answer (and it is counted). */
  closesConnection(): boolean {
    if (!this.draining) return false;
    this.answeredWhileDraining++;
    return true;
  }

  /** Nest calls this before it closes the server; `signal` is unset when the app is closed by code (tests). */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (signal === undefined || this.http.shutdownDrainMs === 0) return;
    this.drainingSince = Date.now();
    this.logger.log(`${signal}: refusing new connections, draining open ones for ${this.http.shutdownDrainMs} ms`);
    const server = this.adapterHost.httpAdapter?.getHttpServer() as HttpServer | undefined;
    if (server?.listening) Server.prototype.close.call(server);
    await sleep(this.http.shutdownDrainMs);
    server?.closeIdleConnections();
    // The last line before the exit: `docker logs` shows that the drain ran to
    // its end and that pino wrote out what it held.
    this.logger.log(
      `${signal}: drained ${this.answeredWhileDraining} request(s) in ${Date.now() - this.drainingSince} ms; closing`,
    );
  }
}
