#!/usr/bin/env bash
# The postgres service's entrypoint with compose.postgres.yaml and in
# compose.swarm.yaml: the image's
# own entrypoint (which initialises an empty volume), with TLS and client
# rules of ours, and the application's roles made or brought up to date on
# every start, before the service reports healthy.
#
#   start-postgres.sh postgres [-c name=value ...]
#
# Reads, from Compose secrets under /run/secrets:
#   postgres_tls_cert, postgres_tls_key   the server's certificate and key
#   postgres_owner_password               accounts_owner's, who owns the schema and migrates it
#   postgres_api_password                 accounts_api's, who serves requests
#   postgres_monitor_password             accounts_monitor's, the exporter's (only with
#                                         compose.monitoring.postgres.yaml; without it
#                                         that role may not log in)
# and roles.sql beside this script (/etc/accounts-postgres).
set -Eeuo pipefail

here=/etc/accounts-postgres
run=/var/run/postgresql
secrets=/run/secrets

for secret in postgres_tls_cert postgres_tls_key postgres_owner_password postgres_api_password; do
  if [[ ! -s $secrets/$secret || ! -r $secrets/$secret ]]; then
    echo "start-postgres.sh: the secret $secret is missing, empty or unreadable at $secrets/$secret;" \
      "for development, docker/tls/make-dev-cert.sh makes the certificates (see compose.postgres.yaml);" \
      "on a swarm, docker/swarm/init-secrets.sh makes them all" >&2
    exit 1
  fi
done

# PostgreSQL refuses a key that others may read, and a secret keeps the
# host file's owner and mode: a private copy on the tmpfs always passes.
install -m 0600 "$secrets/postgres_tls_key" "$run/server.key"

# Written anew at every start, so that a volume of any age gets these rules.
# The socket, inside the container only, is the healthcheck's and the
# administrator's (`docker compose exec postgres psql -U accounts`). Over the
# network, TLS only, and only the two roles of the application and the
# exporter's: the superuser and every plain connection are refused.
# A wrapper may add rules in pg_hba.backup.conf, read before the last line
# (docker/pgbackrest/start-postgres.sh: the backup service's WAL stream).
cat >"$run/pg_hba.conf" <<'HBA'
local    all       all                                          trust
hostssl  accounts  accounts_owner,accounts_api,accounts_monitor  all  scram-sha-256
include_if_exists pg_hba.backup.conf
host     all       all                          all             reject
HBA

marker=$run/roles-ready
rm -f "$marker"

child=
stopping=
forward() {
  stopping=1
  if [[ -n $child ]]; then kill "-$1" "$child" 2>/dev/null || :; fi
}
# The image's stop signal is SIGINT (PostgreSQL's fast shutdown).
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward QUIT' QUIT

docker-entrypoint.sh "$@" \
  -c ssl=on \
  -c ssl_cert_file="$secrets/postgres_tls_cert" \
  -c ssl_key_file="$run/server.key" \
  -c ssl_min_protocol_version=TLSv1.3 \
  -c password_encryption=scram-sha-256 \
  -c hba_file="$run/pg_hba.conf" &
child=$!

# The image's first start runs a server on the socket alone while it
# initialises; the one that stays is the one that listens on TCP. A server
# that answers but refuses connections (pg_isready's 1) is starting up or,
# after a restore (compose.postgres.backup.yaml), replaying the archive: that
# takes as long as it takes, and only silence counts towards the limit.
# The probe names a role and database that pg_hba admits over TCP: it hangs
# up at the password request, which the server does not log. One as the
# default user met the last `reject` rule, and every start logged two FATAL
# lines (with TLS and without) that looked like a fault.
ready=
silent=0
while ((silent < 600)); do
  if ! kill -0 "$child" 2>/dev/null; then break; fi
  answer=0
  pg_isready -q -h 127.0.0.1 -p 5432 -U accounts_api -d accounts || answer=$?
  if ((answer == 0)); then ready=1; break; fi
  if ((answer != 1)); then silent=$((silent + 1)); fi
  sleep 0.5
done
if [[ -z $ready ]]; then
  if [[ -n $stopping ]]; then wait "$child" || exit $?; exit 0; fi
  echo "start-postgres.sh: PostgreSQL did not start listening within 300 s" >&2
  forward INT
  wait "$child" || exit $?
  exit 1
fi

if ! psql -v ON_ERROR_STOP=1 --no-psqlrc -q -h "$run" -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" -f "$here/roles.sql"; then
  echo "start-postgres.sh: setting up the roles failed (above); stopping" >&2
  forward INT
  wait "$child" || :
  exit 1
fi
touch "$marker"
echo "start-postgres.sh: roles accounts_owner and accounts_api are up to date; ready"

# `wait` returns early when a trapped signal arrives: wait again for the server to finish.
status=0
while kill -0 "$child" 2>/dev/null; do
  wait "$child" && status=0 || status=$?
done
exit "$status"
