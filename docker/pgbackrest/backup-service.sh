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
# Healthy (the healthcheck's marker) while the repository holds a good
# backup and the last attempt succeeded. Reads its certificate and key from
# the Compose secrets pgbackrest_backup_cert and pgbackrest_backup_key, and the
# CA from postgres_ca.
set -Eeuo pipefail

secrets=/run/secrets
private=/tmp/pgbackrest-tls
healthy=/tmp/backup-healthy
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

# The last line of a failed command's output, which is pgBackRest's error.
last_line() { grep -v '^\s*$' <<<"$1" | tail -n 1; }

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
  pause 5
done
