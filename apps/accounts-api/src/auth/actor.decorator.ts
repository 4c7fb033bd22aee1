import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '../audit/audit-trail';
import type { AuthenticatedRequest } from './api-key.guard';
import type { Scope } from './scope';

/** An Actor that is a key, with the key's scope, for the rules that depend on more than the route's scope. */
export interface KeyActor extends Actor {
  readonly scope: Scope;
}

/**
 * Who is making the change: the request's key by name, and the request's id,
 * for the audit columns and the audit trail. Only on routes that need a key.
 */
export const RequestActor = createParamDecorator((_data: unknown, context: ExecutionContext): KeyActor => {
  const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
  // Reached only on a public route, where no key was checked: a bug, not a client error.
  if (!req.caller) throw new Error('@RequestActor() on a route that does not authenticate');
  // Set by the access log's genReqId before any guard runs.
  return { name: req.caller.name, scope: req.caller.scope, requestId: typeof req.id === 'string' ? req.id : null };
});
