import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * 405 that carries the methods the route does allow, sent back in `Allow`
 * (Nest's own MethodNotAllowedException carries none, hence a name of its own).
 */
export class UnsupportedMethodException extends HttpException {
  constructor(
    readonly allow: readonly string[],
    method: string,
    path: string,
  ) {
    super(`${method} ${path} is not allowed; use ${allow.join(' or ')}`, HttpStatus.METHOD_NOT_ALLOWED);
  }
}
