#!/usr/bin/env bash
# Creates the swarm secrets that compose.swarm.yaml expects, each only if it
# is missing, so it is safe to run before every deploy:
#
#   <stack>_postgres_password    32 random bytes, base64: the database password,
#                                which only PostgreSQL and the api ever read
#   <stack>_bootstrap_admin_key  a single newline, which the api reads as "no
#                                bootstrap key" (swarm refuses an empty secret);
#                                create it yourself first to start with a key
#                                of your own (README, "On a swarm")
#
# <stack> is STACK_NAME, `accounts` by default. A value goes from the random
# source through a pipe to `docker secret create`: it is never printed, never
# in a variable, an argument or the environment, never in a file. Run it on a
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

head -c 32 /dev/urandom | base64 --wrap=0 | create_if_missing "${stack}_postgres_password"
printf '\n' | create_if_missing "${stack}_bootstrap_admin_key"
