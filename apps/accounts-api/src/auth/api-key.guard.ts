import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { requestContext } from '../common/logging/access-log';
import { Metrics } from '../metrics/metrics';
import { AccessMetadata } from './access.decorator';
import { ApiKeysService, type Caller } from './api-keys.service';
import { InsufficientScopeError, UnauthenticatedError, type AuthFailure } from './auth.errors';
import { grants } from './scope';

/** The request as it leaves the guard: `caller` is the key it was made with. */
export type AuthenticatedRequest = Request & { caller?: Caller };

/** Far beyond any real key; a longer header is refused before it is parsed. */
const MAX_AUTHORIZATION_LENGTH = 512;

/**
 * Lets a request through only when its route is public or its key's scope
 * covers the route's. A route that states nothing needs `admin`: a route
 * added without a decision is closed, not open (and fails the route-list spec).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const needed =
      this.reflector.getAllAndOverride(AccessMetadata, [context.getHandler(), context.getClass()]) ?? 'admin';
    if (needed === 'public') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    let caller: Caller;
    try {
      caller = await this.keys.authenticate(bearerToken(req));
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        this.metrics.authFailure(error.failure);
        this.logger.warn(requestContext(req), `Authentication failed for ${req.method} ${req.path}: ${error.reason}`);
      }
      throw error;
    }
    if (!grants(caller.scope, needed)) {
      this.metrics.authFailure('insufficient_scope' satisfies AuthFailure);
      this.logger.warn(
        requestContext(req),
        `Key "${caller.name}" (scope ${caller.scope}) refused ${req.method} ${req.path}: needs ${needed}`,
      );
      throw new InsufficientScopeError(needed, caller.name, caller.scope);
    }
    req.caller = caller;
    return true;
  }
}

/**
 * The token of the one `Authorization: Bearer <token>` header. Node keeps
 * only the first of repeated Authorization headers; the raw list is checked
 * so that a request carrying two keys is refused rather than half-read.
 */
function bearerToken(req: Request): string {
  const headers = req.rawHeaders.filter(
    (_value, i) => i % 2 === 0 && req.rawHeaders[i].toLowerCase() === 'authorization',
  );
  if (headers.length === 0) throw new UnauthenticatedError('no_header', 'no Authorization header');
  if (headers.length > 1) throw new UnauthenticatedError('repeated_header', 'more than one Authorization header');
  const value = req.headers.authorization ?? '';
  if (value.length > MAX_AUTHORIZATION_LENGTH)
    throw new UnauthenticatedError('oversized_header', 'oversized Authorization header');
  // RFC 9110: the scheme is case-insensitive, and one or more spaces follow it.
  const match = /^Bearer +(\S+) *$/i.exec(value);
  if (!match) throw new UnauthenticatedError('not_bearer', 'not a Bearer Authorization header');
  return match[1];
}
