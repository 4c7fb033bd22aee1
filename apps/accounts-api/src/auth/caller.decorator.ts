import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller } from './api-keys.service';
import type { AuthenticatedRequest } from './api-key.guard';

/** The name of the key the request was made with, for the audit columns. Only on routes that need a key. */
export const CallerName = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const caller: Caller | undefined = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  // Reached only on a public route, where no key was checked: a bug, not a client error.
  if (!caller) throw new Error('@CallerName() on a route that does not authenticate');
  return caller.name;
});
