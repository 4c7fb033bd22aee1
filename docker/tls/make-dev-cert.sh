#!/usr/bin/env bash
# FOR DEVELOPMENT AND TESTS ONLY. Makes a private certificate authority on
# this machine and the server certificates the stack's TLS needs, signed by
# it. Nothing here is trusted by anyone until you trust the CA yourself, and
# its key sits in a plain file: never use these certificates where real data
# or real users are.
#
#   docker/tls/make-dev-cert.sh [--out DIR] [--force]
#
# Writes, under DIR (docker/tls/dev by default, where compose.yaml's and
# compose.postgres.yaml's secrets point):
#   ca.crt                the CA's certificate: give it to `curl --cacert`,
#                         NODE_EXTRA_CA_CERTS, or PostgreSQL's sslrootcert
#   ca.key                the CA's key, readable by you alone; never mounted
#   proxy/server.crt      nginx's certificate, for localhost, 127.0.0.1 and ::1
#   proxy/server.key      its key
#   postgres/server.crt   PostgreSQL's certificate, for the service name postgres
#   postgres/server.key   its key
#   pgbackrest/postgres.crt, .key   pgBackRest's TLS on the database's side
#                         (compose.postgres.backup.yaml): its server, for the
#                         name postgres, and the client certificate (CN
#                         postgres) it shows the repository
#   pgbackrest/backup.crt, .key     the same for the repository's side, the
#                         backup service (name and CN backup)
#
# An existing CA is kept and only missing files are made, so running it again
# changes nothing; --force makes everything anew, CA included (clients then
# need the new ca.crt).
#
# Modes: a container reads a secret with the file's owner and mode as they are
# on the host. Run as root, each key is handed to the user that reads it in
# its container (nginx uid 101, postgres uid 999, pgBackRest's too) with mode 0400; on the host
# those numbers may belong to other accounts, one more reason these keys are
# for development only. Run as
# anyone else, it cannot be: the keys are then mode 0644, and DIR itself mode
# 0700, so that on the host only you can reach them, while a container, which
# is given the file and not the path to it, can read it.
set -euo pipefail

out=docker/tls/dev
force=
while (($#)); do
  case $1 in
    --out)
      [[ $# -ge 2 && -n $2 ]] || { echo "make-dev-cert.sh: --out needs a directory" >&2; exit 2; }
      out=$2
      shift 2
      ;;
    --force) force=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "make-dev-cert.sh: unknown argument '$1' (usage: make-dev-cert.sh [--out DIR] [--force])" >&2; exit 2 ;;
  esac
done
command -v openssl >/dev/null || { echo "make-dev-cert.sh: openssl is not installed" >&2; exit 1; }

mkdir -p "$out/proxy" "$out/postgres" "$out/pgbackrest"
chmod 0700 "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Keys are made unreadable to others from the start, then opened up below.
umask 077

new_key() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$1"
}

if [[ -n $force || ! -s $out/ca.key || ! -s $out/ca.crt ]]; then
  rm -f "$out"/proxy/server.* "$out"/postgres/server.* "$out"/pgbackrest/*.crt "$out"/pgbackrest/*.key
  new_key "$out/ca.key"
  cat >"$work/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = accounts-stack development CA (not for production)
[ca]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  openssl req -new -x509 -key "$out/ca.key" -days 825 -sha256 -config "$work/ca.cnf" -out "$out/ca.crt"
  chmod 0644 "$out/ca.crt"
  echo "made a development CA: $out/ca.crt"
fi

# leaf BASE UID USAGE SAN...: BASE.crt and BASE.key, a leaf signed by the CA
# for the names SAN (the first is its CN) and the extended key usage USAGE,
# valid 397 days (the most that browsers accept for a server certificate).
leaf() {
  local base=$1 uid=$2 usage=$3 name
  shift 3
  name=$(basename "$(dirname "$base")")-$(basename "$base")
  if [[ -s $base.crt && -s $base.key ]]; then
    echo "kept $base.crt"
    return
  fi
  new_key "$base.key"
  local san cn=${1#*:}
  san=$(IFS=,; echo "$*")
  cat >"$work/$name.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $cn
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = $usage
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl req -new -key "$base.key" -config "$work/$name.cnf" -out "$work/$name.csr"
  openssl x509 -req -in "$work/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -CAserial "$work/ca.srl" -days 397 -sha256 -extfile "$work/$name.cnf" -extensions leaf -out "$base.crt" 2>/dev/null
  chmod 0644 "$base.crt"
  if [[ $(id -u) == 0 ]]; then
    chown "$uid:$uid" "$base.key"
    chmod 0400 "$base.key"
  else
    chmod 0644 "$base.key"
  fi
  echo "made $base.crt for $*"
}

# server_cert NAME UID SAN...: NAME/server.crt and server.key, for a server alone.
server_cert() {
  local name=$1 uid=$2
  shift 2
  leaf "$out/$name/server" "$uid" serverAuth "$@"
}

server_cert proxy 101 DNS:localhost IP:127.0.0.1 IP:::1
server_cert postgres 999 DNS:postgres
# pgBackRest's TLS is mutual: each side's server certificate is also the
# client certificate it shows the other, whose CN the other's
# tls-server-auth names.
leaf "$out/pgbackrest/postgres" 999 "serverAuth, clientAuth" DNS:postgres
leaf "$out/pgbackrest/backup" 999 "serverAuth, clientAuth" DNS:backup

cat <<EOF

These certificates are for development only. To trust the CA for one command:
  curl --cacert $out/ca.crt https://localhost:5443/health
  NODE_EXTRA_CA_CERTS=$out/ca.crt node ...
A browser trusts it only once you import $out/ca.crt into its certificate
store; remove it from there when you are done.
EOF
