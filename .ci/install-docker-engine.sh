#!/usr/bin/env bash
# Installs a Docker Engine (28 or newer, for the backend network's isolated
# gateway mode) with Compose v2 and Buildx on Debian 12 when any is missing.
# Bookworm's own docker.io is 20.10 with no Compose v2, so the packages come
# from Debian forky (same mirror); their dependencies (containerd, runc,
# iptables) come from the machine's own suites. Does not start the engine.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

min_engine=28
engine_major=$( (dockerd --version 2>/dev/null || true) | sed -nE 's/^Docker version ([0-9]+)\..*/\1/p')
if (( ${engine_major:-0} >= min_engine )) && docker compose version >/dev/null 2>&1 \
  && docker buildx version >/dev/null 2>&1; then
  exit 0
fi

echo "[docker] installing Docker Engine, Compose v2 and Buildx from Debian forky" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt fetches as the unprivileged _apt user where it can.
chmod 0755 "$work"
mkdir -p "$work/lists/partial" "$work/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $("$repo/docker/offline/debian-mirror.sh") forky main" \
  >"$work/forky.list"
# A private source list and list folder: the machine's apt setup stays untouched.
# The forky Release file may be past its Valid-Until date on an old snapshot.
forky=(-o "Dir::Etc::SourceList=$work/forky.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o Acquire::Check-Valid-Until=false)
apt-get "${forky[@]}" update -qq
(cd "$work/debs" && apt-get "${forky[@]}" download -qq docker.io docker-cli docker-compose docker-buildx tini-static)

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$work"/debs/*.deb >/dev/null
docker --version >&2
docker compose version >&2
