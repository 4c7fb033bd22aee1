// Failed authentications per client address, for the gate in nginx.conf.
// The count lives in the auth_failures shared dictionary (start-proxy.sh
// declares it), whose timeout is the window: an address's entry, and with it
// the block, ends one window after its first counted failure, because incr()
// without a timeout keeps the expiry it was created with. A success does not
// reset the count: a client that holds one good key and guesses others would
// otherwise guess without end.
//
// Nothing here reads or logs the Authorization header's value, only whether
// there is one.

const limit = (r) => Number(r.variables.auth_failures_limit);
const windowSeconds = (r) => Number(r.variables.auth_failures_window);

// js_header_filter of the proxied location. A 401 to a request with no
// Authorization at all is someone finding out that a key is needed, not a guess.
function count(r) {
  if (r.status !== 401 || !r.headersIn.Authorization) return;
  const failures = ngx.shared.auth_failures.incr(r.remoteAddress, 1);
  if (failures === limit(r)) {
    ngx.log(ngx.WARN, `auth failures: ${r.remoteAddress} reached ${failures}; refused for up to ${windowSeconds(r)} s`);
  }
}

// js_set: the seconds until the address may try again, or '' when it may now.
// nginx.conf asks only for requests that carry Authorization.
function retryAfter(r) {
  const failures = ngx.shared.auth_failures;
  if ((failures.get(r.remoteAddress) ?? 0) < limit(r)) return '';
  // ttl() came in njs 0.9.7; without it the whole window is always long enough.
  const ms = typeof failures.ttl === 'function' ? failures.ttl(r.remoteAddress) : undefined;
  return String(ms === undefined ? windowSeconds(r) : Math.max(1, Math.ceil(ms / 1000)));
}

export default { count, retryAfter };
