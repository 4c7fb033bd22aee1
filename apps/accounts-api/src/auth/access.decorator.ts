import { applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { Scope } from './scope';

/** Who may call a route: anyone, or a key with at least this scope. */
export type AccessLevel = 'public' | Scope;

/** The metadata itself; ApiKeyGuard and the route-list spec read it. */
export const AccessMetadata = Reflector.createDecorator<AccessLevel>();

/** The OpenAPI security scheme that "Authorize" in Swagger UI fills in. */
export const BEARER_SCHEME = 'api-key';

/**
 * Every route states who may call it, on its handler or its controller; a
 * spec walks the app's route list and fails on a route that does not.
 */
export function Access(level: AccessLevel): MethodDecorator & ClassDecorator {
  return level === 'public'
    ? applyDecorators(AccessMetadata(level))
    : // OpenAPI 3.0 has no scopes for bearer tokens; the extension names the one needed.
      applyDecorators(AccessMetadata(level), ApiBearerAuth(BEARER_SCHEME), ApiExtension('x-required-scope', level));
}
