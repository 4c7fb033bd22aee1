#!/usr/bin/env bash
# Restores the swarm stack's PostgreSQL from its repository
# (compose.swarm.backup.yaml) onto the empty pgdata volume of the node
# labelled accounts.postgres, by running the stack's restore service once,
# and prints what it said. Run it on a manager, with postgres scaled to 0:
#
#   docker service scale accounts_postgres=0
#   docker/swarm/restore.sh [--target 'YYYY-MM-DD HH:MM:SS[.ffffff]+00']
#   docker service scale accounts_postgres=1
#
# The arguments are docker/pgbackrest/restore.sh's: none for the latest
# state, --target for a point in time. It exits with the restore's outcome.
# It refuses, running nothing, while postgres has a task, or when no node
# that is up carries the label. STACK_NAME (accounts) names the stack.
set -euo pipefail

stack=${STACK_NAME:-accounts}
service=${stack}_restore
postgres=${stack}_postgres
label=accounts.postgres

refuse() {
  printf 'restore.sh: REFUSED: %s\nrestore.sh: nothing was run.\n' "$*" >&2
  exit 1
}

[[ $(docker info --format '{{.Swarm.ControlAvailable}}') == true ]] \
  || refuse "this engine is not a swarm manager (run it on a manager)"
docker service inspect "$service" >/dev/null 2>&1 \
  || refuse "the stack $stack has no service $service: deploy it with compose.swarm.backup.yaml (STACK_NAME names the stack)"

# Two servers on one data directory, or a restore under a running one,
# would corrupt it: postgres must be down, and want to stay down.
wanted=$(docker service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' "$postgres")
running=$(docker service ps --quiet --filter desired-state=running "$postgres" | wc -l)
if [[ $wanted != 0 || $running != 0 ]]; then
  refuse "$postgres wants $wanted task(s) and has $running: docker service scale $postgres=0 first"
fi

ready=$(docker node ls --filter "node.label=$label=true" --format '{{.Hostname}} {{.Status}} {{.Availability}}' \
  | awk '$2 == "Ready" && $3 == "Active" { print $1 }')
[[ -n $ready ]] || refuse "no node that is up and active carries the label $label=true:" \
  "docker node update --label-add $label=true <node>, on a node that is not the backup's"
[[ $(wc -l <<<"$ready") == 1 ]] || refuse "more than one node carries $label=true ($(paste -sd ' ' <<<"$ready")): leave it on one"

# The restore's own arguments, quoted for the service's command line.
args=
(($#)) && args=$(printf '%q ' "$@")

before=$(docker service ps --quiet "$service")
echo "restore.sh: restoring on $ready"
docker service update --detach --quiet --replicas 1 --args "$args" "$service" >/dev/null
trap 'docker service update --detach --quiet --replicas 0 "$service" >/dev/null' EXIT

task=
state=
for _ in $(seq 1 3600); do
  if [[ -z $task ]]; then
    task=$(docker service ps --quiet "$service" | grep -vxF -f <(printf '%s\n' "$before") | head -n 1 || :)
  fi
  if [[ -n $task ]]; then
    state=$(docker inspect --format '{{.Status.State}}' "$task")
    case $state in complete | failed | rejected | orphaned) break ;; esac
  fi
  sleep 1
done
[[ -n $task ]] || { echo "restore.sh: the restore service started no task within an hour" >&2; exit 1; }

docker service logs --raw "$task" 2>&1
case $state in
  complete)
    echo "restore.sh: done. Start postgres: docker service scale $postgres=1"
    ;;
  failed | rejected | orphaned)
    echo "restore.sh: the restore $state: $(docker inspect --format '{{.Status.Err}}' "$task")" >&2
    exit 1
    ;;
  *)
    echo "restore.sh: the restore did not end within an hour (it is $state)" >&2
    exit 1
    ;;
esac
