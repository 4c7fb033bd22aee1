#!/usr/bin/env bash
# Prints the Debian mirror to fetch from: $DEBIAN_MIRROR, or else the first one
# this machine's apt sources name (deb822 .sources files first, then sources.list).
set -euo pipefail
if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; exit 0; fi
uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $uri ]] || uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[[ -n $uri ]] || { echo "no Debian mirror in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
echo "$uri"
