import { execFileSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { generateKey, hashesMatch, KEY_PREFIX, KEY_RECIPE, parseKey, sha256 } from './api-key';
import { grants, isScope, SCOPES } from './scope';

// The real comparison, watched: the spec checks that node:crypto's is the one used.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

describe('API keys', () => {
  it('are the prefix and 76 hex digits: a 48-bit lookup id and 256 random bits', () => {
    const key = generateKey();
    expect(key).toMatch(/^acckey_[0-9a-f]{76}$/);
    expect(parseKey(key)).toEqual({
      lookupId: key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 12),
      sha256: sha256(key),
    });
    expect(new Set(Array.from({ length: 100 }, generateKey)).size).toBe(100);
  });

  it.each([
    ['empty', ''],
    ['the prefix alone', KEY_PREFIX],
    ['one digit short', generateKey().slice(0, -1)],
    ['one digit long', `${generateKey()}0`],
    ['upper-case hex', generateKey().toUpperCase()],
    ['another prefix', generateKey().replace(KEY_PREFIX, 'sk_live_')],
    ['a trailing newline', `${generateKey()}\n`],
  ])('refuses a malformed key: %s', (_case, key) => {
    expect(parseKey(key)).toBeUndefined();
  });

  it('compares hashes with node:crypto timingSafeEqual, whose time does not depend on where they differ', () => {
    const key = generateKey();
    const stored = sha256(key).toString('hex');
    jest.mocked(timingSafeEqual).mockClear();

    expect(hashesMatch(sha256(key), stored)).toBe(true);
    expect(hashesMatch(sha256(generateKey()), stored)).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
  });

  it('refuses a stored hash of another length without comparing', () => {
    jest.mocked(timingSafeEqual).mockClear();
    expect(hashesMatch(sha256(generateKey()), 'abcd')).toBe(false);
    expect(timingSafeEqual).not.toHaveBeenCalled();
  });

  it('gives a shell recipe (for a bootstrap key file) that makes a key of this format', () => {
    const made = execFileSync('sh', ['-c', KEY_RECIPE], { encoding: 'utf8' });
    expect(made).toMatch(/\n$/);
    expect(parseKey(made.trimEnd())).toBeDefined();
  });
});

describe('scopes', () => {
  it('include the ones below them: admin > write > read', () => {
    const table = SCOPES.map((held) => SCOPES.map((needed) => grants(held, needed)));
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });

  it('are only read, write and admin', () => {
    expect(SCOPES.filter(isScope)).toEqual(['read', 'write', 'admin']);
    expect(['root', 'READ', '', undefined].some(isScope)).toBe(false);
  });
});
