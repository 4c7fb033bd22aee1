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
#   <stack>_postgres_ca          checks it: when none exists, a new CA signs
#                                the certificate, and its key is forgotten
#                                once the four below are signed too; create
#                                all three yourself first to use your own CA
#   <stack>_pgbackrest_postgres_crt, _key  for compose.swarm.backup.yaml:
#   <stack>_pgbackrest_backup_crt, _key    pgBackRest's certificates for the
#                                database's side (postgres) and the
#                                repository's (backup), each its server's and
#                                its client's, signed by the same CA, so made
#                                only with it; with a CA of yours, create them
#                                yourself (docs/reference/swarm.md)
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

# subject_alt_names NAMES: the subjectAltName value for DNS names and addresses.
subject_alt_names() {
  local san= name
  for name in $1; do
    if [[ $name == *:* || $name =~ ^[0-9]+(\.[0-9]+){3}$ ]]; then san+=${san:+,}IP:$name; else san+=${san:+,}DNS:$name; fi
  done
  printf '%s' "$san"
}

# A configuration with no default extensions: each certificate names its own.
bare_config() { printf '[req]\ndistinguished_name = dn\n[dn]\n'; }

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null; }

# A self-signed certificate for the names given (DNS names or addresses),
# from the private key on stdin, printed on stdout.
self_signed() {
  local names=$1
  openssl req -x509 -new -key /dev/stdin -days 397 -sha256 \
    -subj "/CN=${names%% *}" -addext "subjectAltName=$(subject_alt_names "$names")" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null
}

# signed NAMES USAGE: a certificate for NAMES (the first is its CN) with the
# extended key usage USAGE, from the private key on stdin, signed by the CA
# in ca_crt and ca_key, printed on stdout. The CA reaches openssl through
# pipes, never a file.
signed() {
  local names=$1 usage=$2
  openssl req -x509 -new -key /dev/stdin -days 397 -sha256 -config <(bare_config) \
    -CA <(printf '%s\n' "$ca_crt") -CAkey <(printf '%s\n' "$ca_key") \
    -subj "/CN=${names%% *}" -addext "subjectAltName=$(subject_alt_names "$names")" \
    -addext "basicConstraints=critical,CA:false" -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=$usage" 2>/dev/null
}

# PostgreSQL's certificate, its key and the CA: all three, or none made.
# pgBackRest's four (compose.swarm.backup.yaml): each side's certificate,
# which is both its server's and the client certificate whose CN the other
# side's TLS server authorises, and their keys. The same CA signs them all,
# so they are made with it or not at all.
pg_crt=${stack}_postgres_tls_crt
pg_key=${stack}_postgres_tls_key
pg_ca=${stack}_postgres_ca
backrest=("${stack}_pgbackrest_postgres_crt" "${stack}_pgbackrest_postgres_key" "${stack}_pgbackrest_backup_crt" "${stack}_pgbackrest_backup_key")
have() { docker secret inspect "$1" >/dev/null 2>&1; }
count() {
  local n=0 name
  for name in "$@"; do if have "$name"; then n=$((n + 1)); fi; done
  echo "$n"
}
pg_have=$(count "$pg_crt" "$pg_key" "$pg_ca")
backrest_have=$(count "${backrest[@]}")
if ((backrest_have > 0 && backrest_have < 4)); then
  echo "init-secrets.sh: only some of ${backrest[*]} exist; create the others, or remove them to have all four made" >&2
  exit 1
fi
if ((pg_have == 3)); then
  echo "$pg_crt, $pg_key, $pg_ca: exist, kept"
  if ((backrest_have == 4)); then
    echo "${backrest[*]}: exist, kept"
  else
    cat <<EOF
${backrest[*]}: not made; only compose.swarm.backup.yaml needs them.
  They must be signed by the CA in $pg_ca, whose key this script does not
  hold: make them with your CA (docs/reference/swarm.md, "Backups"), or, to
  have all seven made, run docker stack rm ${stack} and
  docker secret rm $pg_crt $pg_key $pg_ca, then this script again.
EOF
  fi
elif ((pg_have > 0)); then
  echo "init-secrets.sh: only some of $pg_crt, $pg_key and $pg_ca exist; create the others, or remove them to have all three made" >&2
  exit 1
elif ((backrest_have == 4)); then
  echo "init-secrets.sh: ${backrest[*]} exist, but not the CA that signed them ($pg_ca): remove them too to have all seven made with a new CA" >&2
  exit 1
else
  need_openssl "PostgreSQL's certificates"
  # A CA for this stack's database alone. Its key signs the certificates
  # below and is then forgotten: nothing else can ever be signed by it.
  ca_key=$(new_key)
  ca_crt=$(printf '%s\n' "$ca_key" | openssl req -x509 -new -key /dev/stdin -days 825 -sha256 -config <(bare_config) \
    -subj "/CN=${stack} PostgreSQL CA" -addext "basicConstraints=critical,CA:true,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null)
  # create_pair CRT_SECRET KEY_SECRET NAMES USAGE: a new key and its certificate, as two secrets.
  create_pair() {
    local private
    private=$(new_key)
    printf '%s\n' "$private" | signed "$3" "$4" | docker secret create "$1" - >/dev/null
    printf '%s\n' "$private" | docker secret create "$2" - >/dev/null
  }
  create_pair "$pg_crt" "$pg_key" postgres serverAuth
  create_pair "${backrest[0]}" "${backrest[1]}" postgres serverAuth,clientAuth
  create_pair "${backrest[2]}" "${backrest[3]}" backup serverAuth,clientAuth
  printf '%s\n' "$ca_crt" | docker secret create "$pg_ca" - >/dev/null
  unset ca_key ca_crt
  echo "$pg_crt, $pg_key, $pg_ca: created, a certificate for: postgres, signed by a new CA whose key is not kept"
  echo "${backrest[*]}: created, for postgres and backup, signed by the same CA"
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
  private=$(new_key)
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
