#!/bin/sh
# Behaves like the official node image's entrypoint: arguments that are not a
# command (a script path, a flag) are run by node.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
