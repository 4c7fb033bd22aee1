#!/usr/bin/env bash
# Behaves like the official postgres image's entrypoint, so that the stand-in
# built by build-base-images.sh takes the same environment and volumes:
#   POSTGRES_PASSWORD, POSTGRES_USER (postgres), POSTGRES_DB (the user),
#   POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD,
#   each of the first four also as *_FILE (a file holding the value, for secrets);
#   PGDATA; /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst
#   run once, on the first start with an empty PGDATA.
# Run as root, it hands PGDATA to postgres and re-runs itself as postgres; run
# as postgres (`user: postgres`, no capabilities) it never needs to.
set -Eeo pipefail

# VAR from $VAR or from the file named by $VAR_FILE, never both.
file_env() {
  local var=$1 file_var=${1}_FILE default=${2:-} val
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  val=$default
  if [[ -n ${!var:-} ]]; then
    val=${!var}
  elif [[ -n ${!file_var:-} ]]; then
    val=$(<"${!file_var}")
  fi
  export "$var=$val"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  DATABASE_ALREADY_EXISTS=
  # PG_VERSION is the last file initdb writes, so its presence means a finished cluster.
  if [[ -s $PGDATA/PG_VERSION ]]; then DATABASE_ALREADY_EXISTS=true; fi
}

# Without capabilities (running as postgres) chmod and chown of what postgres
# does not own fail; they are only needed when root made the directories.
create_db_directories() {
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  # Quiet: a root-owned tmpfs with mode 1777 (compose's) is expected and works.
  chmod 03775 /var/run/postgresql 2>/dev/null || :
  if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    if [[ $(id -u) == 0 ]]; then
      find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +
    fi
    chmod 700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [[ $(id -u) == 0 ]]; then
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  fi
}

verify_minimum_env() {
  if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
    cat >&2 <<'EOE'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a
       non-empty value for the superuser, for example "-e POSTGRES_PASSWORD=password"
       on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
EOE
    exit 1
  fi
  if [[ $POSTGRES_HOST_AUTH_METHOD == trust ]]; then
    printf >&2 '%s\n' \
      'WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust": every connection' \
      '         from any host is accepted without a password. This is *not* recommended.'
  fi
}

init_database_dir() {
  if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
    set -- --waldir "$POSTGRES_INITDB_WALDIR" "$@"
  fi
  # POSTGRES_INITDB_ARGS is a shell word list ("--data-checksums --locale=C"),
  # as in the official image, hence eval. The password goes through a pipe,
  # never through a file or the command line.
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
}

# Appended after initdb's own rules, which trust the socket and loopback, so
# that every other host must authenticate (scram-sha-256 unless overridden).
setup_hba_conf() {
  if [[ $1 == postgres ]]; then shift; fi
  local auth
  auth=$(postgres -C password_encryption "$@")
  : "${POSTGRES_HOST_AUTH_METHOD:=$auth}"
  {
    printf '\n'
    if [[ $POSTGRES_HOST_AUTH_METHOD == trust ]]; then
      printf '# warning trust is enabled for all connections\n'
    fi
    printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD"
  } >>"$PGDATA/pg_hba.conf"
}

process_sql() {
  local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [[ -n $POSTGRES_DB ]]; then runner+=(--dbname "$POSTGRES_DB"); fi
  PGHOST= PGHOSTADDR= "${runner[@]}" "$@"
}

# The temporary server listens on the socket only, so nothing outside the
# container can reach a half-initialised database.
temp_server_start() {
  if [[ $1 == postgres ]]; then shift; fi
  set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

temp_server_stop() {
  PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
}

setup_db() {
  local exists
  exists=$(POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<'EOSQL'
SELECT 1 FROM pg_database WHERE datname = :'db' ;
EOSQL
)
  if [[ -z $exists ]]; then
    POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
CREATE DATABASE :"db" ;
EOSQL
    printf '\n'
  fi
}

process_init_files() {
  local f
  printf '\n'
  for f; do
    case $f in
      *.sh)
        # Executable scripts run on their own; others are sourced, so they can
        # use process_sql and the POSTGRES_* variables.
        if [[ -x $f ]]; then
          printf '%s: running %s\n' "$0" "$f"; "$f"
        else
          printf '%s: sourcing %s\n' "$0" "$f"; . "$f"
        fi ;;
      *.sql) printf '%s: running %s\n' "$0" "$f"; process_sql -f "$f"; printf '\n' ;;
      *.sql.gz) printf '%s: running %s\n' "$0" "$f"; gunzip -c "$f" | process_sql; printf '\n' ;;
      *.sql.xz) printf '%s: running %s\n' "$0" "$f"; xzcat "$f" | process_sql; printf '\n' ;;
      *.sql.zst) printf '%s: running %s\n' "$0" "$f"; zstd -dc "$f" | process_sql; printf '\n' ;;
      *) printf '%s: ignoring %s\n' "$0" "$f" ;;
    esac
    printf '\n'
  done
}

want_help() {
  local arg
  for arg; do
    case $arg in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

main() {
  if [[ ${1:0:1} == - ]]; then set -- postgres "$@"; fi

  if [[ $1 == postgres ]] && ! want_help "$@"; then
    setup_env
    create_db_directories
    if [[ $(id -u) == 0 ]]; then
      # gosu is not in a minimal Debian; util-linux's setpriv is.
      HOME=$(getent passwd postgres | cut -d: -f6) \
        exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi

    if [[ -z $DATABASE_ALREADY_EXISTS ]]; then
      verify_minimum_env
      # Fails early, with the reason, if the init folder is unreadable.
      ls /docker-entrypoint-initdb.d/ >/dev/null
      init_database_dir
      setup_hba_conf "$@"
      export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
      temp_server_start "$@"
      setup_db
      shopt -s nullglob
      process_init_files /docker-entrypoint-initdb.d/*
      shopt -u nullglob
      temp_server_stop
      unset PGPASSWORD
      printf '\nPostgreSQL init process complete; ready for start up.\n\n'
    else
      printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
    fi
  fi

  exec "$@"
}

main "$@"
