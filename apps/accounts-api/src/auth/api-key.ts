import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A key is `acckey_` and 76 hex digits: the prefix says what it is (to a
 * reader, and to secret scanners), the first 12 digits are a public lookup
 * id that finds its row, and the other 64 are 256 random bits that only the
 * holder knows. The store keeps the lookup id and the SHA-256 of the whole
 * key, never the key.
 */
export const KEY_PREFIX = 'acckey_';
const LOOKUP_ID_BYTES = 6;
const SECRET_BYTES = 32;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}([0-9a-f]{${LOOKUP_ID_BYTES * 2}})[0-9a-f]{${SECRET_BYTES * 2}}$`);

/** The shell command that makes a key in this format, for a bootstrap secret file. */
export const KEY_RECIPE = `printf '${KEY_PREFIX}%s\\n' "$(openssl rand -hex ${LOOKUP_ID_BYTES + SECRET_BYTES})"`;

export interface ParsedKey {
  readonly lookupId: string;
  readonly sha256: Buffer;
}

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(LOOKUP_ID_BYTES + SECRET_BYTES).toString('hex');
}

/** The lookup id and hash of a well-formed key; undefined for anything else. */
export function parseKey(key: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { lookupId: match[1], sha256: sha256(key) };
}

export function sha256(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * Compares a presented key's hash with the stored one in constant time, so
 * that the time an answer takes says nothing about how much of it matched.
 */
export function hashesMatch(presented: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
