#!/bin/sh
# Writes the per-client rate limit and the failed-authentication gate (and,
# through edge-config, the TLS server and the Host names served) that
# nginx.conf includes from /tmp/nginx/ (the root filesystem is read-only; /tmp
# is a tmpfs), then runs the command, nginx by default. The official image's
# envsubst templates are not used: the stand-in base image has neither
# envsubst nor /docker-entrypoint.sh.
#
#   PROXY_RATE_LIMIT  requests per second per client address, as `<N>r/s`, or `off` (default 50r/s)
#   PROXY_RATE_BURST  requests a client may send above that rate before it gets 429s (default 100)
#   PROXY_AUTH_FAILURES  failed authentications per client address within the window
#                     before its requests with Authorization get 429s, or `off` (default 10)
#   PROXY_AUTH_WINDOW  that window in seconds (default 60): failures count from an
#                     address's first one for this long, and a refused address waits it out
# Unset or empty means the default.
set -eu

fail() {
  echo "proxy failed to start: $*" >&2
  exit 1
}

rate="${PROXY_RATE_LIMIT:-50r/s}"
burst="${PROXY_RATE_BURST:-100}"
auth_failures="${PROXY_AUTH_FAILURES:-10}"
auth_window="${PROXY_AUTH_WINDOW:-60}"
dir=/tmp/nginx

case "$burst" in
  '' | *[!0-9]*) fail "PROXY_RATE_BURST must be a whole number, not '$burst'" ;;
esac

mkdir -p "$dir" || fail "cannot write $dir; /tmp must be writable (a tmpfs)"
if [ "$rate" = off ]; then
  echo '# PROXY_RATE_LIMIT=off' >"$dir/rate-limit-zone.conf"
  echo '# PROXY_RATE_LIMIT=off' >"$dir/rate-limit.conf"
else
  case "$rate" in
    [1-9]*r/s) case "${rate%r/s}" in *[!0-9]*) rate_ok=no ;; *) rate_ok=yes ;; esac ;;
    *) rate_ok=no ;;
  esac
  [ "$rate_ok" = yes ] || fail "PROXY_RATE_LIMIT must be <N>r/s with N >= 1, or off, not '$rate'"
  # 1 MiB holds the state of about 16,000 client addresses.
  echo "limit_req_zone \$binary_remote_addr zone=per_client:1m rate=$rate;" >"$dir/rate-limit-zone.conf"
  echo "limit_req zone=per_client burst=$burst nodelay;" >"$dir/rate-limit.conf"
fi

if [ "$auth_failures" = off ]; then
  for f in auth-failures-zone.conf auth-failures.conf auth-failures-count.conf; do
    echo '# PROXY_AUTH_FAILURES=off' >"$dir/$f"
  done
else
  case "$auth_failures" in
    [1-9]*) case "$auth_failures" in *[!0-9]*) failures_ok=no ;; *) failures_ok=yes ;; esac ;;
    *) failures_ok=no ;;
  esac
  [ "$failures_ok" = yes ] || fail "PROXY_AUTH_FAILURES must be a whole number >= 1, or off, not '$auth_failures'"
  case "$auth_window" in
    [1-9]*) case "$auth_window" in *[!0-9]*) window_ok=no ;; *) window_ok=yes ;; esac ;;
    *) window_ok=no ;;
  esac
  [ "$window_ok" = yes ] || fail "PROXY_AUTH_WINDOW must be a whole number of seconds >= 1, not '$auth_window'"
  # 1 MiB holds the counts of thousands of client addresses; past that the
  # oldest are dropped (evict) rather than new failures going uncounted.
  cat >"$dir/auth-failures-zone.conf" <<EOF
js_shared_dict_zone zone=auth_failures:1m type=number timeout=${auth_window}s evict;
js_var \$auth_failures_limit $auth_failures;
js_var \$auth_failures_window $auth_window;
EOF
  cat >"$dir/auth-failures.conf" <<'EOF'
if ($auth_gate_wait) {
  set $auth_gate_retry_after $auth_gate_wait;
  return 429 '{"statusCode":429,"error":"Too Many Requests","message":"Too many failed authentications from this client; retry after the time in Retry-After","requestId":"$req_id"}';
}
EOF
  echo 'js_header_filter auth_failures.count;' >"$dir/auth-failures-count.conf"
fi

# HTTPS, the names served and the redirect: a script of its own (edge-config.sh).
edge-config "$dir"

exec "$@"
