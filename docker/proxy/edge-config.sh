#!/bin/sh
# The proxy's edge: which Host names it serves, whether HTTPS is on, and
# whether plain HTTP only redirects to it. start-proxy.sh runs this before
# nginx, and it writes into DIR (/tmp/nginx):
#   edge.conf        the $misdirected_host and $https_redirect maps
#   tls-server.conf  `include /etc/nginx/tls-server.conf`, or nothing
#
#   PROXY_SERVER_NAMES  the Host names served, separated by spaces (default
#                       `localhost 127.0.0.1 ::1`); any other Host gets 421
#   PROXY_BIND          the host address compose.yaml publishes the ports on
#                       (default 127.0.0.1); anything but loopback makes plain
#                       HTTP answer only 308 to HTTPS
#   PROXY_TLS_PORT      the published HTTPS port the redirect names (default 5443)
#   PROXY_INSECURE_HTTP `true` serves plain HTTP on a non-loopback PROXY_BIND
#                       anyway, keys in clear text included (default false)
# The certificate chain and key are the secret at /run/secrets/proxy_tls
# (server.crt, server.key): HTTPS is on when both are there.
set -eu

dir=$1
tls_dir=${PROXY_TLS_SECRET_DIR:-/run/secrets/proxy_tls}
names="${PROXY_SERVER_NAMES:-localhost 127.0.0.1 ::1}"
bind="${PROXY_BIND:-127.0.0.1}"
tls_port="${PROXY_TLS_PORT:-5443}"
insecure="${PROXY_INSECURE_HTTP:-false}"

fail() {
  echo "proxy failed to start: $*" >&2
  exit 1
}

case "$insecure" in
  true | false) ;;
  *) fail "PROXY_INSECURE_HTTP must be true or false, not '$insecure'" ;;
esac
# 0 lets the engine pick a free host port, which the proxy cannot know.
case "$tls_port" in
  0) ;;
  '' | 0* | *[!0-9]*) fail "PROXY_TLS_PORT must be a port number from 1 to 65535, or 0, not '$tls_port'" ;;
esac
[ "$tls_port" -le 65535 ] || fail "PROXY_TLS_PORT must be a port number from 1 to 65535, or 0, not '$tls_port'"

{
  echo '# PROXY_SERVER_NAMES: 0 for a Host served, 1 for any other.'
  echo 'map $host $misdirected_host {'
  echo '  default 1;'
  # No Host at all is not a misdirected request (see api-server.conf).
  echo '  "" 0;'
  for name in $names; do
    case "$name" in
      *[!A-Za-z0-9.:\[\]-]* | .* | *..*)
        fail "PROXY_SERVER_NAMES must list host names or IP addresses separated by spaces, not '$name'"
        ;;
    esac
    # nginx's $host keeps an IPv6 literal's brackets, as in Host: [::1]:5000.
    case "$name" in
      \[*\]) ;;
      *:*) name="[$name]" ;;
    esac
    echo "  \"$name\" 0;"
  done
  echo '}'
} >"$dir/edge.conf.new"

# Loopback is the whole of 127.0.0.0/8 and ::1: published there, the ports
# are reachable from this machine only.
case "$bind" in
  127.* | ::1 | \[::1\] | localhost) loopback=yes ;;
  *) loopback=no ;;
esac

crt="$tls_dir/server.crt"
key="$tls_dir/server.key"
if [ -e "$crt" ] && [ -e "$key" ]; then
  [ -r "$crt" ] && [ -r "$key" ] ||
    fail "$crt and $key must be readable by the proxy's user (uid $(id -u)); make-dev-cert.sh run as root hands the key to uid 101"
  tls=on
elif [ -e "$crt" ] || [ -e "$key" ]; then
  fail "the proxy_tls secret ($tls_dir) has only one of server.crt and server.key: give it both, or neither for plain HTTP only"
else
  tls=off
fi

if [ "$loopback" = yes ] || [ "$insecure" = true ]; then
  echo 'map $scheme $https_redirect { default ""; }' >>"$dir/edge.conf.new"
  redirect=no
elif [ "$tls" = on ]; then
  [ "$tls_port" != 0 ] ||
    fail "PROXY_TLS_PORT=0 leaves the published HTTPS port to the engine, and plain HTTP on PROXY_BIND=$bind must redirect to it: give the port"
  echo "map \$scheme \$https_redirect { http \"https://\$host:$tls_port\"; default \"\"; }" >>"$dir/edge.conf.new"
  redirect=yes
else
  fail "PROXY_BIND=$bind publishes the proxy beyond this machine, and without a certificate API keys would cross the network in clear text. Give the proxy_tls secret server.crt and server.key (PROXY_TLS_DIR; docker/tls/make-dev-cert.sh makes development ones), bind to 127.0.0.1, or set PROXY_INSECURE_HTTP=true"
fi
mv "$dir/edge.conf.new" "$dir/edge.conf"

if [ "$redirect" = yes ]; then
  http_says="plain HTTP on 8080 only redirects to it, as PROXY_BIND=$bind is not loopback"
elif [ "$loopback" = yes ]; then
  http_says="plain HTTP on 8080 serves the api, as PROXY_BIND=$bind is loopback"
else
  http_says="plain HTTP on 8080 serves the api on PROXY_BIND=$bind, keys in clear text included, as PROXY_INSECURE_HTTP=true"
fi
if [ "$tls" = on ]; then
  echo 'include /etc/nginx/tls-server.conf;' >"$dir/tls-server.conf"
  # nginx names the file and the reason (a key that does not match the
  # certificate, a file that is not PEM) when it cannot load them.
  nginx -t -q 2>"$dir/tls-check.err" ||
    fail "nginx refuses the certificate in $tls_dir (or its configuration): $(cat "$dir/tls-check.err")"
  rm -f "$dir/tls-check.err"
  echo "proxy: HTTPS on 8443 (published as port $tls_port) with $crt; $http_says"
else
  echo '# no certificate in the proxy_tls secret: no HTTPS server' >"$dir/tls-server.conf"
  echo "proxy: no HTTPS, as the proxy_tls secret ($tls_dir) has no server.crt and server.key; $http_says"
fi
