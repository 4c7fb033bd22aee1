#!/usr/bin/env bash
# The backup service of compose.postgres.backup.yaml: pgBackRest's
# repository host. The repository is this container's volume, never the
# database's; PostgreSQL reaches it over pgBackRest's TLS server
# (archive-push, archive-get, restore), and it reaches PostgreSQL's for
# backups and checks.
#
#   backup-service.sh
#
# 1. Starts the TLS server, which answers the client certificate whose CN
#    PGBACKREST_TLS_SERVER_AUTH names (postgres) for this stack's stanza alone.
# 2. Makes the stanza once PostgreSQL answers (idempotent: an existing stanza
#    of the same database is kept; one of another database is refused, and
#    said so, every BACKUP_RETRY_INTERVAL).
# 3. Takes a full backup at once when the repository has none, then one
#    every BACKUP_FULL_INTERVAL seconds (86400), and a differential one every
#    BACKUP_DIFF_INTERVAL (3600) in between, counted from the last good
#    backup in the repository, so that a restart keeps the schedule. Each one
#    is followed by `pgbackrest verify` of its set and `pgbackrest check`
#    (a WAL switch archived end to end). pgBackRest expires what the
#    retention settings (repo1-retention-full and -diff) no longer keep.
#    A failure is retried after BACKUP_RETRY_INTERVAL (60).
#
# 4. Streams the WAL as PostgreSQL writes it into wal-stream/ beside the
#    repository, on its volume: pg_receivewal, as accounts_backup with this
#    service's client certificate, flushing every write at once and
#    answering as the standby `backup`, synchronous or not as postgres's
#    BACKUP_SYNCHRONOUS says. A streamed segment stays until the archive holds
#    it; restore.sh hands the restored database what the archive lacks, the
#    last, partial segment among them. When the database no longer has where
#    the stream stopped (a restored database, on a timeline of its own), the
#    stream so far moves under earlier/, kept until archived, and a new one
#    starts where the database is, with a new slot. The slot keeps at most
#    BACKUP_STREAM_MAX_WAL of WAL on the database's disk for a stream that
#    is away; past that the stream starts anew the same way (the archive
#    holds what it missed).
#
# Healthy (the healthcheck's marker) while the repository holds a good
# backup and the last attempt succeeded. Reads its certificate and key from
# the Compose secrets pgbackrest_backup_cert and pgbackrest_backup_key, and the
# CA from postgres_ca.
set -Eeuo pipefail

secrets=/run/secrets
private=/tmp/pgbackrest-tls
healthy=/tmp/backup-healthy
stream=${PGBACKREST_REPO1_PATH:?}/wal-stream
: "${PGBACKREST_STANZA:?the stanza (BACKUP_STANZA) is not set}"
full_every=${BACKUP_FULL_INTERVAL:-86400}
diff_every=${BACKUP_DIFF_INTERVAL:-3600}
retry_every=${BACKUP_RETRY_INTERVAL:-60}

log() { printf 'backup-service.sh: %s\n' "$*"; }
for setting in full_every diff_every retry_every; do
  [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || { log "$setting must be a number of seconds, not '${!setting}'" >&2; exit 1; }
done
for secret in pgbackrest_backup_cert pgbackrest_backup_key postgres_ca; do
  if [[ ! -s $secrets/$secret || ! -r $secrets/$secret ]]; then
    log "the secret $secret is missing, empty or unreadable at $secrets/$secret;" \
      "for development, docker/tls/make-dev-cert.sh makes the certificates (see compose.postgres.backup.yaml)" >&2
    exit 1
  fi
done
# A private copy on the tmpfs, whatever the host file's owner and mode.
install -d -m 0700 "$private"
install -m 0600 "$secrets/pgbackrest_backup_key" "$private/backup.key"
rm -f "$healthy"

# SIGTERM from `docker compose stop`: the server, and a backup in progress
# (which the next backup resumes or replaces), end with the container.
trap 'log "stopping"; exit 0' TERM INT
pause() { sleep "$1" & wait $! || :; }

(
  while :; do
    pgbackrest server || log "the TLS server stopped ($?); starting it again" >&2
    sleep 1
  done
) &

# The last line of a failed command's output, which is pgBackRest's error;
# empty, and no failure (which would end the stream's loop), when it wrote
# nothing, as when it was killed.
last_line() { grep -v '^\s*$' <<<"$1" | tail -n 1 || :; }

# The replication connection: verify-full against the database's
# certificate, and this service's own certificate as its credential. A
# database whose machine is lost sends no reset: the keepalives and the TCP
# user timeout end such a connection within seconds, so that the stream
# turns to a database restored elsewhere. Without them it waited on the dead
# one for as long as TCP retries, a quarter of an hour, and a synchronous
# stream's restored database held every commit meanwhile (the cluster drill
# saw it). connect_timeout bounds the opening of each connection too, TLS
# and authentication included, which the TCP timeouts do not cover once the
# peer acknowledges.
err=/tmp/receivewal.err
conninfo="host=${PGBACKREST_PG1_HOST:?} port=5432 user=accounts_backup application_name=backup
  sslmode=verify-full sslrootcert=$secrets/postgres_ca
  sslcert=$secrets/pgbackrest_backup_cert sslkey=$private/backup.key
  keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 tcp_user_timeout=10000
  connect_timeout=10"

# slot_keeps: where the slot keeps the WAL from (READ_REPLICATION_SLOT, one
# of the few commands a replication connection allows); empty when it keeps
# none: it is new, or was invalidated (BACKUP_STREAM_MAX_WAL).
slot_keeps() {
  psql -d "$conninfo replication=true" -XAtc 'READ_REPLICATION_SLOT backup' | cut -d '|' -f 2
}

# start_anew WHY: the stream so far moves under earlier/, kept until
# archived, and the slot goes: a slot that a stream once told a position the
# database does not hold sends every new stream back there. The next stream,
# with a new slot, starts where the database is.
start_anew() {
  local aside
  aside=$stream/earlier/$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$aside"
  find "$stream" -maxdepth 1 -type f -exec mv -t "$aside" {} +
  pg_receivewal -d "$conninfo" --slot=backup --drop-slot 2>"$err" \
    || log "could not drop the slot backup: $(last_line "$(<"$err")")" >&2
  log "$1: the stream so far is kept in $aside until archived; starting anew" >&2
}

# stream_wal: pg_receivewal, started again whenever it stops. The slot keeps
# the database from recycling WAL the stream has not received.
stream_wal() {
  local said= reason restored kept
  install -d -m 0700 "$stream"
  while :; do
    if pg_receivewal -d "$conninfo" --slot=backup --create-slot --if-not-exists 2>"$err"; then
      # A stream that has begun needs a slot that keeps where it stopped.
      if kept=$(slot_keeps 2>"$err") && [[ -z $kept && -n $(find "$stream" -maxdepth 1 -type f -print -quit) ]]; then
        start_anew "the slot keeps no WAL for where the stream stopped (a new slot, as on a restored database, or one invalidated past BACKUP_STREAM_MAX_WAL)"
        said=
        continue
      fi
      log "streaming the WAL into $stream"
      said=
      pg_receivewal -d "$conninfo" --slot=backup --synchronous --no-loop --directory="$stream" 2>"$err" || :
    fi
    reason=$(last_line "$(<"$err")")
    # The database does not have where the stream stopped (pg_receivewal's
    # last line says only "disconnected"; the server's error is above it):
    # it was restored, on a timeline of its own, or that WAL is gone.
    if restored=$(grep -m 1 -E "has already been removed|not in this server's history|ahead of the WAL flush position" "$err"); then
      start_anew "the database does not continue the stream (${restored#*error: })"
      said=
      continue
    fi
    [[ $reason == "$said" ]] || log "the WAL stream stopped, retrying: ${reason:-no reason given}" >&2
    said=$reason
    sleep 2
  done
}

# The archive ids (such as 17-1) the repository holds for this stanza, from `pgbackrest info`'s JSON.
archive_ids() { jq -r '.[0].archive[]?.id' <<<"$1"; }

# archived FILE IDS...: the repository's archive holds FILE (a segment,
# .partial or not, or a timeline's history), under one of the archive ids.
# pgBackRest keeps a segment as NAME-CHECKSUM[.EXT] in a folder named by its
# first 16 characters, and a history file as it is beside those folders.
archived() {
  local file=$1 id folder filter="^${1//./\\.}-"
  shift
  [[ $file == *.history ]] && filter="^${file//./\\.}(\\.|$)"
  for id in "$@"; do
    folder=archive/$PGBACKREST_STANZA/$id
    [[ $file == *.history ]] || folder+=/${file:0:16}
    if [[ -n $(pgbackrest repo-ls --filter="$filter" "$folder" 2>/dev/null) ]]; then
      return 0
    fi
  done
  return 1
}

# prune_stream INFO: removes the streamed segments the archive now holds; the
# live stream's partial segment stays, and so does everything not archived yet.
prune_stream() {
  local ids file name
  mapfile -t ids < <(archive_ids "$1")
  ((${#ids[@]})) || return 0
  while IFS= read -r -d '' file; do
    name=${file##*/}
    [[ $name =~ ^[0-9A-F]{24}$ || ($name =~ ^([0-9A-F]{24}\.partial|[0-9A-F]{8}\.history)$ && $file == "$stream"/earlier/*) ]] || continue
    # An old timeline's partial segment is done with once the archive holds
    # the whole segment or the partial one the restored database archived.
    if archived "$name" "${ids[@]}" || { [[ $name == *.partial ]] && archived "${name%.partial}" "${ids[@]}"; }; then
      rm -f "$file"
    fi
  done < <(find "$stream" -type f -print0)
  find "$stream/earlier" -mindepth 1 -type d -empty -delete 2>/dev/null || :
}

# Without errexit: the loop handles every failure itself, and under
# errexit one failed command in it, such as start_anew's move of a segment
# that prune_stream removed meanwhile, would end the stream for good and
# leave a synchronous database holding every commit, with nothing logged.
(
  set +e
  stream_wal
) &

said=
until out=$(pgbackrest stanza-create 2>&1); do
  # Said once per new reason: postgres is still starting, or the repository
  # belongs to another database.
  reason=$(last_line "$out")
  [[ $reason == "$said" ]] || log "stanza $PGBACKREST_STANZA not made yet, retrying: $reason" >&2
  said=$reason
  pause 5
done
log "stanza $PGBACKREST_STANZA: $(last_line "$out" | sed -E 's/^.*(INFO|WARN): //')"

# take TYPE: a backup, then the verification of its set and a check of the archive.
take() {
  local type=$1 started label out
  started=$(date +%s)
  log "taking a $type backup"
  pgbackrest backup --type="$type" || return 1
  label=$(pgbackrest info --output=json | jq -r '.[0].backup[-1].label')
  # verify exits 0 even when it finds errors: its text report says.
  out=$(pgbackrest verify --set="$label" --output=text --verbose --log-level-console=warn 2>&1) \
    || { log "verify of $label failed: $out" >&2; return 1; }
  if ! grep -qE '^\s*backup: '"$label"', status: valid' <<<"$out"; then
    log "verify of $label did not find it valid:" >&2
    printf '%s\n' "$out" >&2
    return 1
  fi
  pgbackrest check || return 1
  log "backup $label ($type) taken, verified and checked in $(($(date +%s) - started)) s"
}

failed=
while :; do
  if ! info=$(pgbackrest info --output=json 2>&1); then
    log "info failed: $(last_line "$info")" >&2
    pause "$retry_every"
    continue
  fi
  now=$(date +%s)
  last_full=$(jq '[.[0].backup[] | select(.type == "full" and (.error // false | not)) | .timestamp.stop] | max // 0' <<<"$info")
  last_any=$(jq '[.[0].backup[] | select(.error // false | not) | .timestamp.stop] | max // 0' <<<"$info")
  type=
  if ((now - last_full >= full_every)); then
    type=full
  elif ((now - last_any >= diff_every)); then
    type=diff
  fi
  if [[ -n $type ]]; then
    if take "$type"; then
      failed=
    else
      failed=1
      rm -f "$healthy"
      log "the $type backup failed (above); trying again in $retry_every s" >&2
      pause "$retry_every"
      continue
    fi
  fi
  if [[ -z $failed ]] && ((last_any > 0 || ${#type} > 0)); then touch "$healthy"; fi
  prune_stream "$info"
  pause 5
done
