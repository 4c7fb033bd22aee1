#!/usr/bin/env bash
# Prints a folder holding a node that satisfies package.json's engines.node
# (">=MAJOR.MINOR"), installing the latest release of that major from the npm
# registry (the official binary, package node-linux-<arch>) when the machine's
# node is older. The machine's npm runs on whichever node is first on PATH.
# Usage: PATH="$(.ci/install-node.sh):$PATH"
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
min=$(sed -nE 's/.*"node": *">=([0-9]+(\.[0-9]+)?)".*/\1/p' "$repo/package.json")
[[ -n $min ]] || { echo "package.json has no engines.node of the form \">=X.Y\"" >&2; exit 1; }
major=${min%%.*}

satisfies() { # NODE_BINARY
  "$1" -e 'const [a, b] = process.argv[1].split(".").map(Number);
    const [x, y] = process.versions.node.split(".").map(Number);
    process.exit(x > a || (x === a && y >= (b || 0)) ? 0 : 1)' "$min" 2>/dev/null
}

if command -v node >/dev/null && satisfies "$(command -v node)"; then
  dirname "$(command -v node)"
  exit 0
fi

package=$("$repo/docker/offline/node-package.sh")
prefix=${NODE_PREFIX:-/opt/node-$major}
bin=$prefix/node_modules/$package/bin
if [[ ! -x $bin/node ]] || ! satisfies "$bin/node"; then
  echo "[node] installing Node $major (>= $min) into $prefix" >&2
  npm install --silent --no-save --prefix "$prefix" "$package@$major" >&2
fi
echo "$bin"
