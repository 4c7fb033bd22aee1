#!/usr/bin/env bash
# Creates the swarm secrets that compose.swarm.yaml expects, each only if it
# is missing, so it is safe to run before every deploy:
#
#   <stack>_postgres_password    32 random bytes, base64: the database password,
#                                which only PostgreSQL and the api ever read
#   <stack>_bootstrap_admin_key  a single newline, which the api reads as "no
#                                bootstrap key" (swarm refuses an empty secret);
#                                create it yourself first to start with a key
#                                of your own (README, "On a swarm")
#   <stack>_proxy_tls_crt        the proxy's certificate and its key: when
#   <stack>_proxy_tls_key        neither exists, a self-signed pair for the
#                                names in PROXY_SERVER_NAMES (localhost
#                                127.0.0.1 ::1), which clients must be told
#                                to trust; create both yourself first to
#                                serve a certificate of your own
#
# <stack> is STACK_NAME, `accounts` by default. A random value goes from its
# source through a pipe to `docker secret create`: it is never printed, never
# in a variable, an argument or the environment, never in a file. The TLS key
# is held in this script's memory, unexported, while its certificate is
# signed, and never written to a disk either. Run it on a swarm manager.
set -euo pipefail

stack=${STACK_NAME:-accounts}

if [[ $(docker info --format '{{.Swarm.ControlAvailable}}') != true ]]; then
  echo "init-secrets.sh: this engine is not a swarm manager (docker swarm init, or run it on a manager)" >&2
  exit 1
fi

# Reads the value on stdin; prints the secret's name, not its id or value.
create_if_missing() {
  local name=$1
  if docker secret inspect "$name" >/dev/null 2>&1; then
    echo "$name: exists, kept"
    cat >/dev/null
  else
    docker secret create "$name" - >/dev/null
    echo "$name: created"
  fi
}

head -c 32 /dev/urandom | base64 --wrap=0 | create_if_missing "${stack}_postgres_password"
printf '\n' | create_if_missing "${stack}_bootstrap_admin_key"

# The proxy's pair. Both or neither: a certificate without its key (or the
# reverse) is an operator's half-finished replacement, not something to fill in.
crt=${stack}_proxy_tls_crt
key=${stack}_proxy_tls_key
have() { docker secret inspect "$1" >/dev/null 2>&1; }
if have "$crt" && have "$key"; then
  echo "$crt, $key: exist, kept"
elif have "$crt" || have "$key"; then
  echo "init-secrets.sh: only one of $crt and $key exists; create the other, or remove it to have both made" >&2
  exit 1
else
  command -v openssl >/dev/null || { echo "init-secrets.sh: openssl is needed to make the proxy's certificate" >&2; exit 1; }
  names=${PROXY_SERVER_NAMES:-localhost 127.0.0.1 ::1}
  san=
  for name in $names; do
    if [[ $name == *:* || $name =~ ^[0-9]+(\.[0-9]+){3}$ ]]; then san+=${san:+,}IP:$name; else san+=${san:+,}DNS:$name; fi
  done
  private=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
  openssl req -x509 -new -key <(printf '%s\n' "$private") -days 397 -sha256 \
    -subj "/CN=${names%% *}" -addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth" 2>/dev/null |
    docker secret create "$crt" - >/dev/null
  printf '%s\n' "$private" | docker secret create "$key" - >/dev/null
  unset private
  cat <<EOF
$crt, $key: created, a SELF-SIGNED certificate for: $names
  Clients trust it only when told to. Once the stack runs, a proxy task shows it:
    docker exec \$(docker ps -q -f name=${stack}_proxy | head -n 1) cat /run/secrets/proxy_tls/server.crt > ${stack}-proxy.crt
    curl --cacert ${stack}-proxy.crt https://localhost:${PROXY_TLS_PORT:-5443}/health
  To serve your own instead: docker stack rm ${stack}; docker secret rm $crt $key;
  docker secret create $crt chain.pem; docker secret create $key key.pem; deploy again.
EOF
fi
