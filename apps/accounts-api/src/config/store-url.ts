/** Where the store is, parsed from STORE_URL. */
export type StoreLocation =
  { readonly dialect: 'sqlite'; readonly file: string } | { readonly dialect: 'postgres'; readonly url: URL };

export const STORE_URL_FORMS = 'sqlite:/path/to/file.db or postgres://user@host:5432/database';

/**
 * `sqlite:` with a file path (SQLite's own URI form), or a libpq-style
 * `postgres://` (or `postgresql://`) URL. Throws a message that says what
 * forms are accepted.
 */
export function parseStoreUrl(value: string): StoreLocation {
  const scheme = /^([a-z]+):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '' || file === '//') throw new Error(`STORE_URL ${value} names no file; use ${STORE_URL_FORMS}`);
    return { dialect: 'sqlite', file };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(`STORE_URL is not a valid URL; use ${STORE_URL_FORMS}`);
    }
    if (!url.hostname || url.pathname.length <= 1) {
      throw new Error(`STORE_URL needs a host and a database name; use ${STORE_URL_FORMS}`);
    }
    return { dialect: 'postgres', url };
  }
  throw new Error(`STORE_URL must start with sqlite: or postgres://; use ${STORE_URL_FORMS}`);
}

/** The URL without its password, for logs. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
