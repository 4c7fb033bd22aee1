#!/usr/bin/env bash
# Creates the swarm secrets that compose.swarm.yaml expects, each only if it
# is missing, so it is safe to run before every deploy:
#
#   <stack>_postgres_password    32 random bytes, base64: the superuser's
#                                password, which only PostgreSQL reads (it
#                                refuses the superuser over the network)
#   <stack>_postgres_owner_password  the same, for accounts_owner (the migrate
#   <stack>_postgres_api_password    job) and accounts_api (the api)
#   <stack>_postgres_tls_crt     PostgreSQL's certificate for the name
#   <stack>_postgres_tls_key     `postgres` and its key, and the CA that
#   <stack>_postgres_ca          checks it: when none exists, a self-signed
#                                certificate that is its own CA; create all
#                                three yourself first to use your own CA
#   <stack>_bootstrap_admin_key  a single newline, which the api reads as "no
#                                bootstrap key" (swarm refuses an empty secret);
#                                create it yourself first to start with a key
#                                of your own (docs/reference/swarm.md)
#   <stack>_proxy_tls_crt        the proxy's certificate and its key: when
#   <stack>_proxy_tls_key        neither exists, a self-signed pair for the
#                                names in PROXY_SERVER_NAMES (localhost
#                                127.0.0.1 ::1), which clients must be told
#                                to trust; create both yourself first to
#                                serve a certificate of your own
#
# <stack> is STACK_NAME, `accounts` by default. A random value goes from its
# source through a pipe to `docker secret create`: it is never printed, never
# in a variable, an argument or the environment, never in a file. The TLS
# keys are held in this script's memory, unexported, while their
# certificates are signed, and never written to a disk either. Run it on a
# swarm manager.
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

for role in '' owner_ api_; do
  head -c 32 /dev/urandom | base64 --wrap=0 | create_if_missing "${stack}_postgres_${role}password"
done
printf '\n' | create_if_missing "${stack}_bootstrap_admin_key"

need_openssl() {
  command -v openssl >/dev/null || { echo "init-secrets.sh: openssl is needed to make $1" >&2; exit 1; }
}

# A self-signed certificate for the names given (DNS names or addresses),
# from the private key on stdin, printed on stdout.
self_signed() {
  local names=$1 san= name
  for name in $names; do
    if [[ $name == *:* || $name =~ ^[0-9]+(\.[0-9]+){3}$ ]]; then san+=${san:+,}IP:$name; else san+=${san:+,}DNS:$name; fi
  done
  openssl req -x509 -new -key /dev/stdin -days 397 -sha256 \
    -subj "/CN=${names%% *}" -addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth" 2>/dev/null
}

# PostgreSQL's certificate, its key and the CA: all three, or none made.
pg_crt=${stack}_postgres_tls_crt
pg_key=${stack}_postgres_tls_key
pg_ca=${stack}_postgres_ca
have() { docker secret inspect "$1" >/dev/null 2>&1; }
pg_have=0
for name in "$pg_crt" "$pg_key" "$pg_ca"; do if have "$name"; then pg_have=$((pg_have + 1)); fi; done
if ((pg_have == 3)); then
  echo "$pg_crt, $pg_key, $pg_ca: exist, kept"
elif ((pg_have > 0)); then
  echo "init-secrets.sh: only some of $pg_crt, $pg_key and $pg_ca exist; create the others, or remove them to have all three made" >&2
  exit 1
else
  need_openssl "PostgreSQL's certificate"
  private=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
  certificate=$(printf '%s\n' "$private" | self_signed postgres)
  printf '%s\n' "$certificate" | docker secret create "$pg_crt" - >/dev/null
  printf '%s\n' "$private" | docker secret create "$pg_key" - >/dev/null
  # Self-signed: the certificate is its own CA, and nothing else can be signed by it.
  printf '%s\n' "$certificate" | docker secret create "$pg_ca" - >/dev/null
  unset private certificate
  echo "$pg_crt, $pg_key, $pg_ca: created, a self-signed certificate for: postgres"
fi

# The proxy's pair. Both or neither: a certificate without its key (or the
# reverse) is an operator's half-finished replacement, not something to fill in.
crt=${stack}_proxy_tls_crt
key=${stack}_proxy_tls_key
if have "$crt" && have "$key"; then
  echo "$crt, $key: exist, kept"
elif have "$crt" || have "$key"; then
  echo "init-secrets.sh: only one of $crt and $key exists; create the other, or remove it to have both made" >&2
  exit 1
else
  need_openssl "the proxy's certificate"
  names=${PROXY_SERVER_NAMES:-localhost 127.0.0.1 ::1}
  private=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
  printf '%s\n' "$private" | self_signed "$names" | docker secret create "$crt" - >/dev/null
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
