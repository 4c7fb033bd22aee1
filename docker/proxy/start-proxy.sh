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
#   PROXY_CONN_LIMIT  requests in progress at once per client address (each
#                     HTTP/2 stream counts), or `off` (default 64)
#   PROXY_AUTH_FAILURES  failed authentications from a client address against one
#                     key lookup id within the window before that id gets 429s from
#                     that address, or `off` (default 10); five times as many against
#                     any ids refuse every key the address has not used successfully
#                     within the last hour
#   PROXY_AUTH_WINDOW  that window in seconds (default 60): failures count from the
#                     first one for this long, and a refused client waits it out
#   PROXY_BODY_DEADLINE  seconds a request's whole body may take to arrive, from
#                     when nginx starts reading it, or `off` (default 10): past
#                     it the connection is closed (body-deadline.js)
#   PROXY_TRUSTED_PROXIES  addresses or CIDRs, separated by spaces or commas, whose
#                     X-Forwarded-For names the client (a load balancer's); empty
#                     by default: every client is its own TCP peer address
# Unset or empty means the default.
set -eu

fail() {
  echo "proxy failed to start: $*" >&2
  exit 1
}

# Whether $1 is a whole number >= 1, written without a leading zero.
whole_number() {
  case "$1" in
    [1-9]*) case "$1" in *[!0-9]*) return 1 ;; esac ;;
    *) return 1 ;;
  esac
}

rate="${PROXY_RATE_LIMIT:-50r/s}"
burst="${PROXY_RATE_BURST:-100}"
auth_failures="${PROXY_AUTH_FAILURES:-10}"
auth_window="${PROXY_AUTH_WINDOW:-60}"
conn_limit="${PROXY_CONN_LIMIT:-64}"
body_deadline="${PROXY_BODY_DEADLINE:-10}"
trusted_proxies="${PROXY_TRUSTED_PROXIES:-}"
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

if [ "$conn_limit" = off ]; then
  echo '# PROXY_CONN_LIMIT=off' >"$dir/conn-limit.conf"
else
  whole_number "$conn_limit" || fail "PROXY_CONN_LIMIT must be a whole number >= 1, or off, not '$conn_limit'"
  # Counted per request in progress, so it bounds what one address holds
  # (trickled bodies, answers it reads slowly), not its idle keep-alive
  # connections, which keepalive_timeout closes. 1 MiB holds thousands of addresses.
  cat >"$dir/conn-limit.conf" <<EOF
limit_conn_zone \$binary_remote_addr zone=per_client_conn:1m;
limit_conn per_client_conn $conn_limit;
EOF
fi

if [ "$body_deadline" = off ]; then
  echo '# PROXY_BODY_DEADLINE=off' >"$dir/body-deadline-var.conf"
  echo '# PROXY_BODY_DEADLINE=off' >"$dir/body-deadline.conf"
else
  whole_number "$body_deadline" || fail "PROXY_BODY_DEADLINE must be a whole number of seconds >= 1, or off, not '$body_deadline'"
  echo "js_var \$body_deadline_seconds $body_deadline;" >"$dir/body-deadline-var.conf"
  echo 'js_access body_deadline.guard;' >"$dir/body-deadline.conf"
fi

# One entry: an IPv4 or IPv6 address, with an optional prefix length in range.
valid_proxy() {
  entry="$1"
  addr="${entry%/*}"
  prefix=
  [ "$addr" = "$entry" ] || prefix="${entry#*/}"
  case "$addr" in
    *:*)
      max=128
      case "$addr" in *[!0-9A-Fa-f:.]* | *:::*) return 1 ;; esac
      ;;
    *.*.*.*)
      max=32
      old_ifs="$IFS"
      IFS=.
      # shellcheck disable=SC2086 # split on the dots on purpose
      set -- $addr
      IFS="$old_ifs"
      [ $# -eq 4 ] || return 1
      for octet in "$@"; do
        case "$octet" in '' | *[!0-9]* | ????*) return 1 ;; esac
        [ "$octet" -le 255 ] || return 1
      done
      ;;
    *) return 1 ;;
  esac
  [ "$addr" = "$entry" ] && return 0
  case "$prefix" in '' | *[!0-9]* | ????*) return 1 ;; esac
  [ "$prefix" -le "$max" ]
}

if [ -z "$(printf '%s' "$trusted_proxies" | tr -d ' ,')" ]; then
  echo '# PROXY_TRUSTED_PROXIES is empty: every client is its own peer address' >"$dir/trusted-proxies.conf"
else
  : >"$dir/trusted-proxies.conf"
  # No globbing: an entry such as `*` is an error, not the files here.
  set -f
  for proxy in $(printf '%s' "$trusted_proxies" | tr ',' ' '); do
    valid_proxy "$proxy" ||
      fail "PROXY_TRUSTED_PROXIES must list IPv4 or IPv6 addresses or CIDRs (such as 10.0.0.0/8), separated by spaces or commas, not '$proxy'"
    echo "set_real_ip_from $proxy;" >>"$dir/trusted-proxies.conf"
  done
  set +f
  # The client is the rightmost address in X-Forwarded-For that is not one
  # of these: a client cannot name itself past a balancer that appends.
  cat >>"$dir/trusted-proxies.conf" <<'EOF'
real_ip_header X-Forwarded-For;
real_ip_recursive on;
EOF
fi

if [ "$auth_failures" = off ]; then
  for f in auth-failures-zone.conf auth-failures.conf auth-failures-count.conf; do
    echo '# PROXY_AUTH_FAILURES=off' >"$dir/$f"
  done
else
  whole_number "$auth_failures" || fail "PROXY_AUTH_FAILURES must be a whole number >= 1, or off, not '$auth_failures'"
  whole_number "$auth_window" || fail "PROXY_AUTH_WINDOW must be a whole number of seconds >= 1, not '$auth_window'"
  # auth_failures: counts per address and per (address, key lookup id);
  # auth_accepted: HMACs of keys the api accepted from an address, for an
  # hour; auth_secret: that HMAC's key, random, made by the first request
  # after each start (auth-failures.js). 1 MiB holds thousands of entries;
  # past that the oldest are dropped (evict) rather than new ones going uncounted.
  # A flood of junk keys is refused at five times the per-id limit: an address
  # shared by many clients (a NAT) sees some honest failures.
  cat >"$dir/auth-failures-zone.conf" <<EOF
js_shared_dict_zone zone=auth_failures:1m type=number timeout=${auth_window}s evict;
js_shared_dict_zone zone=auth_accepted:1m type=number timeout=3600s evict;
js_shared_dict_zone zone=auth_secret:64k;
js_var \$auth_failures_limit $auth_failures;
js_var \$auth_junk_limit $((auth_failures * 5));
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
