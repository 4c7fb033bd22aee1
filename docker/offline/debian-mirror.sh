#!/usr/bin/env bash
# Prints the Debian mirror to fetch from: $DEBIAN_MIRROR, or else the one this
# machine's apt sources use for its own release (deb822 .sources files first,
# then sources.list), so that a third-party repository is never picked.
set -euo pipefail
if [[ -n ${DEBIAN_MIRROR:-} ]]; then echo "$DEBIAN_MIRROR"; exit 0; fi
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release; set DEBIAN_MIRROR}

uri=$(awk -v want="$codename" '
  /^[[:space:]]*$/ { uris = ""; suites = ""; next }
  /^URIs:/   { uris = $2 }
  /^Suites:/ { suites = $0 }
  uris != "" && suites != "" {
    n = split(suites, s, /[[:space:]]+/)
    for (i = 2; i <= n; i++) if (s[i] == want) { print uris; exit }
  }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [[ -z $uri ]]; then
  # One-line format: deb [options] URI SUITE COMPONENT...
  uri=$(awk -v want="$codename" '$1 == "deb" {
      i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i+1) == want) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null || true)
fi
[[ -n $uri ]] || { echo "no Debian mirror for $codename in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
echo "$uri"
