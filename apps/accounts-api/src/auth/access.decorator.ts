import { applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { Scope } from './scope';

/** Who may call a route: anyone, or a key with at least this scope. */
export type AccessLevel = 'public' | Scope;

/** The metadata itself; ApiKeyGuard and the route-list spec read it. */
export const AccessMetadata = Reflector.createDecorator<AccessLevel>();

/** OpenAPI 3.0 has no scopes for bearer tokens: this extension names the one an operation needs. */
export const REQUIRED_SCOPE_EXTENSION = 'x-required-scope';

/**
 * Every route states who may call it, on its handler or its controller; a
 * spec walks the app's route list and fails on a route that does not.
 */
export function Access(level: AccessLevel): MethodDecorator & ClassDecorator {
  return level === 'public'
    ? applyDecorators(AccessMetadata(level))
    : // openapi.ts turns this into the operation's `security`, once, however many levels state it.
      applyDecorators(AccessMetadata(level), ApiExtension(REQUIRED_SCOPE_EXTENSION, level));
}
