import { CanActivate, ExecutionContext, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Request } from 'express';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * A body the JSON parser skipped because of its content type would reach
 * validation as "missing fields"; say what is actually wrong instead.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException(
        `Request bodies must be JSON: send Content-Type: application/json, not ${req.headers['content-type'] ?? 'none'}`,
      );
    }
    return true;
  }
}
