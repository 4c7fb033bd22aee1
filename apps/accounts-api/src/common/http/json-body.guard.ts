import { CanActivate, ExecutionContext, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { parseJsonBody } from './json-body';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Parses the JSON body, as the last guard: global guards run in the order
 * app.module lists them, so the key guard has let the request through
 * first, and no one without a valid key makes the api read or parse a body.
 * A body of another content type would reach validation as "missing
 * fields"; say what is actually wrong instead.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException(
        `Request bodies must be JSON: send Content-Type: application/json, not ${req.headers['content-type'] ?? 'none'}`,
      );
    }
    if (hasBody) await parseJsonBody(req, context.switchToHttp().getResponse<Response>());
    return true;
  }
}
