#!/usr/bin/env bash
# Makes every base image named by an `ARG *_IMAGE=` default in docker/*/Dockerfile
# available locally: present already, pulled, or, when no registry answers, built
# here as a labelled stand-in from Debian packages and the npm registry.
#
# Usage: docker/offline/build-base-images.sh
#   DEBIAN_MIRROR  mirror for debootstrap (default: the one this machine's apt
#                  sources use for its own release; see debian-mirror.sh)
#   PULL_TIMEOUT   seconds to wait for `docker pull` before building a stand-in (default 20)
#
# Needs root, docker, npm, and debootstrap when a stand-in is built.
# Idempotent: an image that exists is left alone.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
standin_label=org.opencontainers.image.description
standin_note="Local stand-in built by docker/offline/build-base-images.sh; not the official image"

log() { printf '[base-images] %s\n' "$*" >&2; }

# debootstrap SUITE into a fresh folder with extra packages; echoes the folder.
bootstrap() {
  local suite=$1 script=$2 include=$3 dir
  dir=$(mktemp -d /tmp/standin-rootfs.XXXXXX)
  log "debootstrap $suite into $dir"
  debootstrap --variant=minbase --include="$include" "$suite" "$dir" "$("$repo/docker/offline/debian-mirror.sh")" \
    "/usr/share/debootstrap/scripts/$script" >"$dir.log" 2>&1 \
    || { tail -n 30 "$dir.log" >&2; exit 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir.log"
  echo "$dir"
}

# Unpacks an npm package's tarball into DIR (its package/ folder becomes DIR).
npm_unpack() {
  local spec=$1 dest=$2 tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$dest"
  tar -xzf "$tmp"/*.tgz -C "$dest" --strip-components=1
  rm -rf "$tmp"
}

import_rootfs() {
  local dir=$1 image=$2; shift 2
  tar -C "$dir" -c . | docker import "$@" \
    --change "LABEL $standin_label=\"$standin_note\"" - "$image" >/dev/null
  rm -rf "$dir"
  log "built stand-in $image"
}

# The official node image: node and npm in /usr/local, user node (1000),
# an entrypoint that runs node for arguments that are not commands.
build_node() {
  local image=$1 major dir
  major=$(sed -E 's/^node:([0-9]+).*/\1/' <<<"$image")
  dir=$(bootstrap trixie trixie ca-certificates)
  npm_unpack "$("$repo/docker/offline/node-package.sh")@$major" "$dir/tmp/node"
  install -m 0755 "$dir/tmp/node/bin/node" "$dir/usr/local/bin/node"
  rm -rf "$dir/tmp/node"
  npm_unpack "npm@latest" "$dir/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  # A machine behind a TLS-inspecting proxy needs its CAs inside builds too.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  install -m 0755 "$repo/docker/offline/node-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$dir" "$image" \
    --change "ENV NODE_VERSION=$("$dir/usr/local/bin/node" --version | tr -d v)" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]'
}

# The official nginx image: user nginx (101), /etc/nginx/conf.d, logs to
# stdout and stderr, SIGQUIT for a graceful stop. Debian forky ships an nginx
# new enough for `resolve` in upstream servers (1.27.3+); bookworm's debootstrap
# has no forky script, and sid's fits.
build_nginx() {
  local image=$1 dir
  dir=$(bootstrap forky sid nginx)
  chroot "$dir" groupadd --system --gid 101 nginx
  chroot "$dir" useradd --system --uid 101 --gid nginx --no-create-home \
    --home /nonexistent --shell /bin/false nginx
  mkdir -p "$dir/etc/nginx/conf.d" "$dir/var/cache/nginx"
  ln -sf /dev/stdout "$dir/var/log/nginx/access.log"
  ln -sf /dev/stderr "$dir/var/log/nginx/error.log"
  import_rootfs "$dir" "$image" \
    --change 'EXPOSE 80' \
    --change 'STOPSIGNAL SIGQUIT' \
    --change 'CMD ["nginx", "-g", "daemon off;"]'
}

ensure() {
  local image=$1
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image is present"; return
  fi
  if timeout "${PULL_TIMEOUT:-20}" docker pull --quiet "$image" >/dev/null 2>&1; then
    log "pulled $image"; return
  fi
  log "$image cannot be pulled; building a stand-in"
  case $image in
    node:*) build_node "$image" ;;
    nginx:*) build_nginx "$image" ;;
    *) log "no stand-in recipe for $image"; exit 1 ;;
  esac
}

mapfile -t images < <(sed -nE 's/^ARG [A-Z_]+_IMAGE=(.+)$/\1/p' "$repo"/docker/*/Dockerfile | sort -u)
[[ ${#images[@]} -gt 0 ]] || { log "no ARG *_IMAGE= defaults in docker/*/Dockerfile"; exit 1; }
for image in "${images[@]}"; do ensure "$image"; done
