import type { IncomingMessage, ServerResponse } from 'node:http';
import { json } from 'express';

/** Nest's own 413 comes below the proxy's 64 KiB, so both limits are seen and tested. */
export const JSON_BODY_LIMIT = '16kb';

/** Deeper bodies are refused before parsing: validation recurses and would overflow the stack. */
export const MAX_JSON_DEPTH = 32;

/** A body-parser error: its `status` makes the error filter answer with it. */
class BadJsonError extends Error {
  readonly status = 400;
  readonly expose = true;
}

/**
 * body-parser's `verify` hook: runs on the raw bytes before JSON.parse.
 * Invalid UTF-8 would otherwise be stored as U+FFFD, silently changing data.
 */
export function verifyJsonBody(_req: IncomingMessage, _res: unknown, raw: Buffer): void {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new BadJsonError('Request body is not valid UTF-8');
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new BadJsonError(`Request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
}

/**
 * body-parser's `reviver`: a `__proto__` key would be dropped silently by
 * validation (it strips prototype keys) instead of being refused like any other unknown field.
 */
export function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new BadJsonError('property __proto__ should not exist');
  return value;
}

const jsonParser = json({
  limit: JSON_BODY_LIMIT,
  type: ['application/json', 'application/*+json'],
  verify: verifyJsonBody,
  reviver: refuseProtoKeys,
});

/**
 * Reads and parses a JSON body into `req.body`, rejecting with body-parser's
 * own errors (each with the status the error filter answers with). Called by
 * JsonBodyGuard, after the key guard: a request without a valid key is
 * refused before a byte of its body is read.
 */
export function parseJsonBody(req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    jsonParser(req, res, (error?: Error) => (error === undefined ? resolve() : reject(error)));
  });
}
