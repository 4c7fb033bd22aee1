#!/usr/bin/env bash
# The restore service of compose.postgres.backup.yaml: puts the database
# back onto an EMPTY pgdata volume from the backup service's repository, to
# the latest archived state or to a point in time. PostgreSQL replays the
# archive when it next starts, then promotes itself and serves.
#
#   docker compose -f compose.yaml -f compose.postgres.yaml -f compose.postgres.backup.yaml \
#     run --rm restore [--target 'YYYY-MM-DD HH:MM:SS[.ffffff]+00']
#
# With no --target: the latest state the archive holds. With --target: the
# state just after the last transaction that committed at or before that time
# (PostgreSQL's recovery_target_time; give a time zone, or it is the
# server's, UTC). The backup is chosen for the target by pgBackRest.
#
# The backup service's WAL stream (the wal-stream folder beside the
# repository) holds what the archive may not have yet: the segments streamed
# since its last archived one, and the partial segment in which the last
# acknowledged commits are. They are fetched from the repository's host over
# the same TLS connection as the backup (pgBackRest's repo-ls and repo-get),
# so the restore needs no volume of the backup service's and runs on any
# node. They go into the restored pg_wal, where PostgreSQL reads a segment
# that the archive does not hold; with a synchronous stream, the latest
# state is the last acknowledged commit.
#
# Refuses, changing nothing, when the volume is not empty (a database is
# there: stop and remove postgres, and the volume, first), when the
# repository holds no stanza of this stack (PGBACKREST_STANZA: another
# stack's repository, or none) or no good backup of it yet.
set -Eeuo pipefail

secrets=/run/secrets
pgdata=${PGBACKREST_PG1_PATH:?}
: "${PGBACKREST_STANZA:?the stanza (BACKUP_STANZA) is not set}"

say() { printf 'restore: %s\n' "$*"; }
refuse() {
  printf 'restore: REFUSED: %s\nrestore: nothing was changed.\n' "$*" >&2
  exit 1
}
usage() { sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//'; }

target=
while (($#)); do
  case $1 in
    --target)
      [[ $# -ge 2 && -n $2 ]] || refuse "--target needs a time, such as '2026-01-31 12:00:00+00'"
      target=$2
      shift 2
      ;;
    --target=*) target=${1#--target=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; refuse "unknown argument '$1'" ;;
  esac
done

for secret in pgbackrest_postgres_cert pgbackrest_postgres_key postgres_ca; do
  [[ -s $secrets/$secret && -r $secrets/$secret ]] \
    || refuse "the secret $secret is missing, empty or unreadable at $secrets/$secret (see compose.postgres.backup.yaml)"
done

# 1. The volume: empty, or nothing happens. `ls -A` sees hidden files too.
[[ -d $pgdata ]] || refuse "$pgdata is not there: the pgdata volume is not mounted"
if [[ -n $(ls -A "$pgdata") ]]; then
  what="files such as $(ls -A "$pgdata" | head -n 3 | paste -sd, -)"
  [[ -s $pgdata/PG_VERSION ]] && what="a PostgreSQL $(<"$pgdata/PG_VERSION") database"
  refuse "the pgdata volume ($pgdata) is not empty: it holds $what. A restore goes onto an empty volume only:" \
    "stop and remove postgres and its volume first (docker compose ... rm --stop --force postgres;" \
    "docker volume rm PROJECT_pgdata), after making sure that it is the copy you mean to replace"
fi

# A private copy of the key on the tmpfs, whatever the host file's owner and mode.
install -d -m 0700 /tmp/pgbackrest-tls
install -m 0600 "$secrets/pgbackrest_postgres_key" /tmp/pgbackrest-tls/postgres.key
export PGBACKREST_REPO1_HOST_KEY_FILE=/tmp/pgbackrest-tls/postgres.key

# 2. The repository answers, holds this stack's stanza and a good backup of it.
info=
for _ in $(seq 1 30); do
  if info=$(pgbackrest info --output=json 2>&1); then break; fi
  sleep 1
done
jq -e . >/dev/null 2>&1 <<<"$info" \
  || refuse "the repository (${PGBACKREST_REPO1_HOST:-?}) did not answer within 30 s: $(tail -n 1 <<<"$info")"
code=$(jq -r '.[0].status.code' <<<"$info")
case $code in
  0) ;;
  1 | 3)
    refuse "the repository at ${PGBACKREST_REPO1_HOST:-?} holds no stanza '$PGBACKREST_STANZA', this stack's" \
      "(BACKUP_STANZA, by default the Compose project's name): it is another stack's repository, or a new one." \
      "Point the restore at this stack's repository, or set BACKUP_STANZA to the stanza you mean"
    ;;
  *)
    why=$(jq -r '[.[0].repo[]?.status.message] + [.[0].status.message] | map(select(. != null)) | first' <<<"$info")
    if [[ $why == *AccessError* ]]; then
      # The repository's TLS server serves its own stack's stanza alone.
      refuse "the repository at ${PGBACKREST_REPO1_HOST:-?} does not serve stanza '$PGBACKREST_STANZA', this stack's" \
        "(BACKUP_STANZA, by default the Compose project's name): it is another stack's repository ($why)"
    fi
    refuse "the repository has no good backup of stanza '$PGBACKREST_STANZA': $why"
    ;;
esac

# Without a target, recovery replays all the archive holds and promotes at its end.
# Replay fetches each segment itself (--no-archive-async): with the
# asynchronous archive-get that the environment sets for archive-push, a
# drill's recovery once stopped after a segment for a minute, logging
# nothing, until postgres's healthcheck gave up.
args=("--recovery-option=restore_command=pgbackrest --stanza=$PGBACKREST_STANZA --no-archive-async archive-get %f \"%p\"")
if [[ -n $target ]]; then
  args+=(--type=time "--target=$target" --target-action=promote)
  goal="to $target"
else
  goal="to the latest archived state"
fi
started=$(date +%s)
say "restoring stanza $PGBACKREST_STANZA $goal into $pgdata"
pgbackrest restore "${args[@]}" 2>&1 | tee /tmp/restore.log
label=$(sed -nE 's/^.*restore backup set ([0-9A-Za-z_-]+).*$/\1/p' /tmp/restore.log | head -n 1)

# 3. The stream: partial segments first, so that a whole copy of the same
# segment, should there be one, replaces its partial one.
stream_files() {
  local listing
  listing=$(pgbackrest repo-ls wal-stream --recurse --output=json) || return 1
  jq -r 'to_entries[] | select(.value.type == "file") | .key' <<<"$listing" \
    | { grep -E '(^|/)[0-9A-F]{24}(\.partial)?$' || :; }
}
# Past the restore, a database without the stream's last commits must not
# start: what the restore wrote goes (the volume was empty), and it says so.
unfinished() {
  find "$pgdata" -mindepth 1 -delete
  printf 'restore: FAILED: %s\nrestore: the pgdata volume is empty again; run the restore once the repository answers.\n' "$*" >&2
  exit 1
}
listed=$(stream_files) || unfinished "the repository did not list its WAL stream"
copied=()
while IFS= read -r path; do
  [[ -n $path ]] || continue
  name=${path##*/}
  segment=$pgdata/pg_wal/${name%.partial}
  # The backup service removes a streamed segment once the archive holds
  # it, and may do so meanwhile: then it is the archive's to give.
  if ! pgbackrest repo-get "wal-stream/$path" --raw >"$segment" 2>/tmp/repo-get.err; then
    rm -f "$segment"
    if grep -qxF "$path" <(stream_files); then
      unfinished "could not fetch the streamed segment $path from the repository: $(tail -n 1 /tmp/repo-get.err)"
    fi
    continue
  fi
  chmod 0600 "$segment"
  copied+=("$name")
done < <(grep '\.partial$' <<<"$listed" | sort; grep -v '\.partial$' <<<"$listed" | sort)
if ((${#copied[@]})); then
  partial=$(printf '%s\n' "${copied[@]}" | grep '\.partial$' | sort | tail -n 1 || :)
  say "copied ${#copied[@]} streamed segment(s) into pg_wal for what the archive lacks${partial:+ (the last being written: $partial)}"
else
  say "the WAL stream holds no segment beyond the archive"
fi
say "done in $(($(date +%s) - started)) s${label:+ (from backup $label)}. Start postgres now:" \
  "it replays the archive $goal, then promotes itself and serves" \
  "(docker compose ... up -d --wait; on a swarm, docker service scale <stack>_postgres=1)"
