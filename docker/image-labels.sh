#!/usr/bin/env bash
# Prints what compose.yaml's x-build-args take from the environment, one
# NAME=value a line, from this checkout's git, for the images' OCI labels:
#   IMAGE_REVISION  the commit checked out, with -dirty when tracked files differ from it
#   IMAGE_CREATED   the commit's time in RFC 3339 (UTC): a rebuild of one commit
#                   gives the same labels, hence the same image, not one per build
#   IMAGE_SOURCE    the origin remote's URL without any credentials in it; not
#                   printed when there is no origin, as a clone from nowhere has no public source
# Usage: env $(docker/image-labels.sh) docker compose build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

revision=$(git rev-parse HEAD)
git diff --quiet HEAD -- || revision+=-dirty
echo "IMAGE_REVISION=$revision"
echo "IMAGE_CREATED=$(TZ=UTC0 git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)"
if source=$(git remote get-url origin 2>/dev/null); then
  # https://user:token@host/path keeps its token out of the image as https://host/path.
  echo "IMAGE_SOURCE=$(sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@#\1#' <<<"$source")"
fi
