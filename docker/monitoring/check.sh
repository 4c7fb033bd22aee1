#!/usr/bin/env bash
# Checks the monitoring configuration with the tools of the image that runs
# it (accounts-stack/prometheus, built by docker/offline/build-base-images.sh),
# in a container with no network and nothing writable:
#   promtool check config   prometheus.yml, the rules it names, and the
#                           PostgreSQL job of compose.monitoring.postgres.yaml
#   promtool check rules    rules/*.rules.yml, with promtool's lint
#   promtool test rules     tests/*.test.yml: every alert firing and quiet
#   amtool check-config     alertmanager.yml
#
#   npm run test:alerts  (or: bash docker/monitoring/check.sh)
#   PROMETHEUS_IMAGE     the image (default accounts-stack/prometheus:trixie)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${PROMETHEUS_IMAGE:-accounts-stack/prometheus:trixie}

if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "check.sh: no image $image; build it with docker/offline/build-base-images.sh $image" >&2
  exit 1
fi

# The globs below expand here, to the paths the container sees under its workdir.
cd "$here"

run() {
  docker run --rm --network none --read-only --cap-drop ALL --security-opt no-new-privileges:true \
    --tmpfs /tmp:size=64m --mount "type=bind,source=$here,target=/etc/prometheus,readonly" \
    --workdir /etc/prometheus --entrypoint "$1" "$image" "${@:2}"
}

run promtool check config --lint=all prometheus.yml
run promtool check rules --lint=all rules/*.rules.yml
run amtool check-config alertmanager.yml
run promtool test rules tests/*.test.yml
