#!/usr/bin/env bash
# The postgres service's entrypoint with compose.postgres.backup.yaml: the
# database's side of pgBackRest, around docker/postgres/start-postgres.sh.
#
#   start-postgres.sh postgres [-c name=value ...]
#
# - Every WAL segment is archived to the backup service as PostgreSQL
#   completes it, or after BACKUP_ARCHIVE_TIMEOUT seconds of writes at the
#   latest (archive_command: `pgbackrest archive-push`, asynchronous, over TLS).
# - The backup service also streams the WAL as it is written
#   (pg_receivewal, as the replication role accounts_backup, over TLS with
#   its client certificate: the certificate is its only credential). With
#   BACKUP_SYNCHRONOUS=on (the default) it is a synchronous standby for the
#   api's commits: none is acknowledged before its WAL is on the backup
#   service's disk. With off, the stream follows as fast as it can and a
#   commit does not wait for it. Its replication slot keeps at most
#   BACKUP_STREAM_MAX_WAL (1GB) of WAL for it while it is away
#   (max_slot_wal_keep_size): a database disk never fills for a stream, and
#   the archive still holds what the stream then misses. Likewise the
#   archive: past BACKUP_ARCHIVE_QUEUE_MAX (1GB) of WAL waiting for a
#   repository it cannot reach, pgBackRest drops segments rather than fill
#   the database's disk; a restore then goes back no further than the next
#   backup.
# - pgBackRest's TLS server runs beside PostgreSQL, for the backup service's
#   backups and checks; it answers the client certificate whose CN
#   PGBACKREST_TLS_SERVER_AUTH names (backup) for this stack's stanza alone.
# - An empty PGDATA is initialised only when the repository holds no backup
#   of this stanza: otherwise the volume was lost or removed, and a new, empty
#   database would hide that. Restore first (restore.sh), or remove the
#   repository's volume too to start from nothing on purpose.
#
# pgBackRest reads its settings from the PGBACKREST_* variables
# (compose.postgres.backup.yaml), and its key from these Compose secrets:
#   pgbackrest_postgres_cert, pgbackrest_postgres_key  this side's certificate and key
#   postgres_ca                                         the CA that signed both sides'
set -Eeuo pipefail

run=/var/run/postgresql
secrets=/run/secrets
: "${PGBACKREST_STANZA:?the stanza (BACKUP_STANZA) is not set}"
archive_timeout=${BACKUP_ARCHIVE_TIMEOUT:-60}
[[ $archive_timeout =~ ^[1-9][0-9]*$ ]] || {
  echo "start-postgres.sh: BACKUP_ARCHIVE_TIMEOUT must be a number of seconds, not '$archive_timeout'" >&2
  exit 1
}
synchronous=${BACKUP_SYNCHRONOUS:-on}
case $synchronous in
  on) stream=sync ;;
  off) stream=async ;;
  *)
    echo "start-postgres.sh: BACKUP_SYNCHRONOUS must be on or off, not '$synchronous'" >&2
    exit 1
    ;;
esac
max_wal=${BACKUP_STREAM_MAX_WAL:-1GB}
[[ $max_wal =~ ^(-1|[1-9][0-9]*(MB|GB|TB))$ ]] || {
  echo "start-postgres.sh: BACKUP_STREAM_MAX_WAL must be a size such as 512MB or 2GB (or -1: no limit), not '$max_wal'" >&2
  exit 1
}
queue_max=${BACKUP_ARCHIVE_QUEUE_MAX:-1GB}
[[ $queue_max =~ ^(-1|[1-9][0-9]*(MB|GB|TB))$ ]] || {
  echo "start-postgres.sh: BACKUP_ARCHIVE_QUEUE_MAX must be a size such as 512MB or 2GB (or -1: no limit), not '$queue_max'" >&2
  exit 1
}
# Read by archive-push, which PostgreSQL runs with this environment.
if [[ $queue_max == -1 ]]; then
  unset PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX
else
  export PGBACKREST_ARCHIVE_PUSH_QUEUE_MAX=$queue_max
fi

for secret in pgbackrest_postgres_cert pgbackrest_postgres_key postgres_ca; do
  if [[ ! -s $secrets/$secret || ! -r $secrets/$secret ]]; then
    echo "start-postgres.sh: the secret $secret is missing, empty or unreadable at $secrets/$secret;" \
      "for development, docker/tls/make-dev-cert.sh makes the certificates (see compose.postgres.backup.yaml)" >&2
    exit 1
  fi
done
# A private copy on the tmpfs, whatever the host file's owner and mode.
install -m 0600 "$secrets/pgbackrest_postgres_key" "$run/pgbackrest.key"

if [[ ! -s ${PGDATA:?}/PG_VERSION ]]; then
  # Ask the repository before initdb makes anything. It may be starting
  # beside us: give it a minute.
  info=
  for _ in $(seq 1 60); do
    if info=$(pgbackrest info --output=json 2>&1); then break; fi
    info=
    sleep 1
  done
  if [[ -z $info ]]; then
    echo "start-postgres.sh: PGDATA is empty and the backup service did not answer within 60 s, so it cannot" \
      "be told whether this is a new database or a lost one; not initialising it (is the backup service running?)" >&2
    exit 1
  fi
  backups=$(jq '[.[] | select(.name == env.PGBACKREST_STANZA) | .backup[]] | length' <<<"$info")
  if ((backups > 0)); then
    echo "start-postgres.sh: PGDATA is empty, but the repository holds $backups backup(s) of stanza" \
      "$PGBACKREST_STANZA: the database's volume was lost or removed. Not initialising a new, empty database;" \
      "restore it first (docker compose ... run --rm restore, see docs/reference/backups.md), then start postgres again" >&2
    exit 1
  fi
fi

# A new database archives nothing until its roles are made (the marker that
# docker/postgres/start-postgres.sh leaves, on this container's tmpfs). WAL
# from before its first backup is of no use to a restore, and a backup begun
# in that window finds its own WAL missing from the archive and fails, to be
# taken again. Archiving meanwhile would wait on a repository that can make
# this database's stanza only once the database answers: on a swarm, not
# before its healthcheck passes, and the initialising server's shutdown
# waited for the archiver. Once the marker is there, and at every start of a
# database that exists, every segment goes to the archive.
archive='pgbackrest archive-push %p'
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  touch "$run/new-database"
  archive="test -e $run/new-database -a ! -e $run/roles-ready || $archive"
fi

# The WAL stream's rules, read by docker/postgres/start-postgres.sh's
# pg_hba.conf and roles.sql: accounts_backup may open a replication
# connection, over TLS only, with a client certificate of the CA's whose CN
# is backup; roles.sql lets it log in, and has the api's commits wait for it
# when the stream is synchronous.
cat >"$run/pg_hba.backup.conf" <<'HBA'
hostssl  replication  accounts_backup  all  cert  map=backup
HBA
cat >"$run/pg_ident.conf" <<'IDENT'
backup  backup  accounts_backup
IDENT
export ACCOUNTS_WAL_STREAM=$stream
standby=()
[[ $stream == sync ]] && standby=(-c synchronous_standby_names=backup)

# The TLS server, started again should it ever stop; it ends with the container.
(
  while :; do
    pgbackrest server || echo "start-postgres.sh: pgBackRest's TLS server stopped ($?); starting it again" >&2
    sleep 1
  done
) &

# hot_standby=off: while a restored database replays the archive it answers
# nothing (the api then says 503, retry), rather than read-only sessions in
# which every write would fail.
# synchronous_commit=local is every role's default but the api's (roles.sql).
exec bash /etc/accounts-postgres/start-postgres.sh "$@" \
  -c ssl_ca_file="$secrets/postgres_ca" \
  -c ident_file="$run/pg_ident.conf" \
  -c synchronous_commit=local \
  "${standby[@]}" \
  -c "max_slot_wal_keep_size=$max_wal" \
  -c archive_mode=on \
  -c "archive_command=$archive" \
  -c "archive_timeout=$archive_timeout" \
  -c hot_standby=off
