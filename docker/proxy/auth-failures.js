// The gate on failed authentications in nginx.conf. It must stop guessing
// without letting anyone's guesses lock out the valid keys of others behind
// the same address (a NAT, a load balancer, Docker's port proxy), so it keeps,
// in shared dictionaries that start-proxy.sh declares:
//
// - failures per (address, key lookup id): PROXY_AUTH_FAILURES of them refuse
//   that id from that address, which stops a brute force against one key;
// - failures per address, whatever the id: five times as many refuse every
//   key from that address, which stops a flood of junk keys;
// - keys the api accepted (2xx or 3xx) from an address within the last hour,
//   as an HMAC under a random secret made after each start: such a key passes
//   both counts, as a guess never can.
//
// A count's entry, and with it the refusal, ends one window after its first
// failure: incr() without a timeout keeps the expiry it was created with. A
// success resets nothing: a client holding one good key could otherwise
// guess others without end.
//
// The module runs in njs, which has no destructuring.
//
// Nothing here logs the Authorization header's value, or keeps it: only the
// lookup id, which the key shows anyway, and the HMAC.
import nodeCrypto from 'crypto';

const KEY_PATTERN = /^acckey_([0-9a-f]{12})[0-9a-f]{64}$/;

const limit = (r) => Number(r.variables.auth_failures_limit);
const junkLimit = (r) => Number(r.variables.auth_junk_limit);
const windowSeconds = (r) => Number(r.variables.auth_failures_window);

/** The key a request presents: the api reads `Bearer <key>`; anything else is junk with no id. */
function presentedKey(r) {
  const header = r.headersIn.Authorization ?? '';
  const bearer = /^Bearer +(.*)$/i.exec(header);
  return bearer ? bearer[1] : header;
}

/** The random HMAC key of this start: the first request to need it makes it, and add() lets only one win. */
function secret() {
  const store = ngx.shared.auth_secret;
  let value = store.get('hmac');
  if (value === undefined) {
    store.add('hmac', Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'));
    value = store.get('hmac');
  }
  return value;
}

function acceptedEntry(r, key) {
  const mac = nodeCrypto.createHmac('sha256', secret()).update(key).digest('base64url');
  return `${r.remoteAddress} ${mac}`;
}

/** Whether a count exists for any of the entries: an address with none is refused nothing. */
function anyCounted(entries) {
  const failures = ngx.shared.auth_failures;
  return failures.has(entries.address) || (entries.id !== undefined && failures.has(entries.id));
}

function counters(r, key) {
  const match = KEY_PATTERN.exec(key);
  const address = `a ${r.remoteAddress}`;
  return match ? { address, id: `i ${r.remoteAddress} ${match[1]}` } : { address };
}

// js_header_filter of the proxied location. A 401 to a request with no
// Authorization at all is someone finding out that a key is needed, not a guess.
function count(r) {
  if (!r.headersIn.Authorization) return;
  const key = presentedKey(r);
  if (r.status >= 200 && r.status < 400) {
    ngx.shared.auth_accepted.set(acceptedEntry(r, key), 1);
    return;
  }
  if (r.status !== 401) return;
  const failures = ngx.shared.auth_failures;
  const entries = counters(r, key);
  if (entries.id !== undefined && failures.incr(entries.id, 1) === limit(r)) {
    ngx.log(
      ngx.WARN,
      `auth failures: ${r.remoteAddress} reached ${limit(r)} for one key id; refused for up to ${windowSeconds(r)} s`,
    );
  }
  if (failures.incr(entries.address, 1) === junkLimit(r)) {
    ngx.log(
      ngx.WARN,
      `auth failures: ${r.remoteAddress} reached ${junkLimit(r)}; keys it has not used recently refused for up to ${windowSeconds(r)} s`,
    );
  }
}

/** Seconds left on a count at or over its limit, or 0. */
function wait(r, entry, max) {
  const failures = ngx.shared.auth_failures;
  if (entry === undefined || (failures.get(entry) ?? 0) < max) return 0;
  // ttl() came in njs 0.9.7; without it the whole window is always long enough.
  const ms = typeof failures.ttl === 'function' ? failures.ttl(entry) : undefined;
  return ms === undefined ? windowSeconds(r) : Math.max(1, Math.ceil(ms / 1000));
}

// js_set: the seconds until this key may be tried again from this address,
// or '' when it may now. nginx.conf asks only for requests that carry Authorization.
function retryAfter(r) {
  const key = presentedKey(r);
  const entries = counters(r, key);
  // The usual case, no failure from this address, costs two lookups and no
  // HMAC. Both counts are asked: the id's may outlive the address's, which
  // its first failure may have started earlier.
  if (!anyCounted(entries)) return '';
  if (ngx.shared.auth_accepted.has(acceptedEntry(r, key))) return '';
  const seconds = Math.max(wait(r, entries.id, limit(r)), wait(r, entries.address, junkLimit(r)));
  return seconds > 0 ? String(seconds) : '';
}

export default { count, retryAfter };
