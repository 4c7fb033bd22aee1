#!/bin/sh
# Writes the per-client rate limit that nginx.conf includes from /tmp/nginx/
# (the root filesystem is read-only; /tmp is a tmpfs), then runs the command,
# nginx by default. The official image's envsubst templates are not used: the
# stand-in base image has neither envsubst nor /docker-entrypoint.sh.
#
#   PROXY_RATE_LIMIT  requests per second per client address, as `<N>r/s`, or `off` (default 50r/s)
#   PROXY_RATE_BURST  requests a client may send above that rate before it gets 429s (default 100)
# Unset or empty means the default.
set -eu

fail() {
  echo "proxy failed to start: $*" >&2
  exit 1
}

rate="${PROXY_RATE_LIMIT:-50r/s}"
burst="${PROXY_RATE_BURST:-100}"
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

exec "$@"
