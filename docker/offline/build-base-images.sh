#!/usr/bin/env bash
# Makes every base image the stack names available locally: present already,
# pulled, or, when no registry answers, built here as a labelled stand-in from
# Debian packages and the npm registry. The images are the `ARG *_IMAGE=`
# defaults in docker/*/Dockerfile and docker/bench/*/Dockerfile (the
# benchmark's peers), the `${*_IMAGE:-default}` defaults in the
# top-level compose*.yaml files (services that run a published image as is),
# and the images the test harnesses run themselves: the `_IMAGE ?? 'default'`
# constants in test/support/projects.ts; and the images the learner docs run
# by name (docs_images below), which no source file of the stack names. An
# image named accounts-stack/* is no published image: it is always built here,
# never pulled.
#
# Usage: docker/offline/build-base-images.sh [IMAGE...]
#   IMAGE          only these (each must be one of the defaults listed above);
#                  all of them when none is given
#   DEBIAN_MIRROR  mirror for debootstrap (default: the one this machine's apt
#                  sources use for its own release; see debian-mirror.sh)
#   PULL_TIMEOUT   seconds to wait for `docker pull` before building a stand-in (default 20)
#
# Needs root, docker, npm, and debootstrap when a stand-in is built.
# Idempotent: an image that exists is left alone, but for a stand-in nginx
# without njs (see nginx_lacks_njs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
standin_label=org.opencontainers.image.description
standin_note="Local stand-in built by docker/offline/build-base-images.sh; not the official image"
# docker/proxy/nginx.conf loads it; the official image ships it at this path.
njs_module=/usr/lib/nginx/modules/ngx_http_js_module.so

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
# stdout and stderr, njs at the official image's module path, SIGQUIT for a
# graceful stop. Debian forky ships an nginx new enough for `resolve` in
# upstream servers (1.27.3+); bookworm's debootstrap has no forky script, and
# sid's fits.
build_nginx() {
  local image=$1 dir
  dir=$(bootstrap forky sid nginx,libnginx-mod-http-js)
  [[ -f $dir$njs_module ]] || { log "no $njs_module in $dir"; exit 1; }
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

# The official postgres image: user postgres (999:999, home /var/lib/postgresql),
# PGDATA=/var/lib/postgresql/data, the server binaries on PATH, en_US.utf8, and
# an entrypoint that initialises an empty PGDATA from POSTGRES_* variables.
# Debian trixie carries a single major, so the tag's major must be that one.
# EXTRA, when given, is more packages for the same image (see build_pgbackrest).
build_postgres() {
  local image=$1 extra=${2:-} major dir old_uid old_gid version
  major=$(sed -E 's/^.*:([0-9]+).*$/\1/' <<<"$image")
  dir=$(bootstrap trixie trixie "postgresql-$major${extra:+,$extra}")
  [[ -n $dir && -d $dir/usr/lib/postgresql/$major/bin ]] || { log "no postgresql-$major in $dir"; exit 1; }
  # The package's postinst made postgres a dynamic system user; volumes made
  # by the official image belong to 999, so ours must too.
  old_uid=$(chroot "$dir" id -u postgres)
  old_gid=$(chroot "$dir" id -g postgres)
  chroot "$dir" groupmod --gid 999 postgres
  chroot "$dir" usermod --uid 999 --gid 999 postgres
  find "$dir" -xdev -uid "$old_uid" -exec chown -h 999 '{}' +
  find "$dir" -xdev -gid "$old_gid" -exec chgrp -h 999 '{}' +
  # Clusters live in PGDATA only: none from the postinst (it makes none in a
  # debootstrap chroot today, but may), nor from a package a derived image adds.
  rm -rf "${dir:?}/etc/postgresql/"* "${dir:?}/var/lib/postgresql/$major"
  sed -ri 's/^#?(create_main_cluster) .*$/\1 = false/' "$dir/etc/postgresql-common/createcluster.conf"
  # Every initdb listens on all addresses; pg_hba.conf decides who gets in.
  sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '*'/" "$dir/usr/share/postgresql/$major/postgresql.conf.sample"
  grep -qF "listen_addresses = '*'" "$dir/usr/share/postgresql/$major/postgresql.conf.sample"
  # initdb takes its collation from LANG, and dumps move between this image and
  # the official one only when both collate alike.
  chroot "$dir" localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8
  # Like debian:*-slim, which the official image starts from: no manuals or
  # translations, now or from packages a derived image installs.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim"
  find "${dir:?}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "${dir:?}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf '{}' +
  rm -rf "${dir:?}/usr/share/man/"* "${dir:?}/usr/share/info/"*
  # A fresh named volume copies this directory's owner and mode, so that a
  # container running as postgres without capabilities can initialise it.
  install -d -o 999 -g 999 -m 0700 "${dir:?}/var/lib/postgresql/data"
  # The socket folder, /var/run/postgresql. In the rootfs /var/run is a symlink
  # to /run, absolute, so through it this would change the build machine's own.
  install -d -o 999 -g 999 -m 3777 "${dir:?}/run/postgresql"
  install -d -m 0755 "${dir:?}/docker-entrypoint-initdb.d"
  # pgbackrest's sample configuration, when EXTRA brought it: the stack sets
  # pgBackRest through PGBACKREST_* variables alone (compose.postgres.backup.yaml).
  rm -f "${dir:?}/etc/pgbackrest.conf"
  install -m 0755 "$repo/docker/offline/postgres-entrypoint.sh" "${dir:?}/usr/local/bin/docker-entrypoint.sh"
  version=$(chroot "$dir" dpkg-query -W -f '${Version}' "postgresql-$major")
  import_rootfs "$dir" "$image" \
    --change "ENV PG_MAJOR=$major" \
    --change "ENV PG_VERSION=$version" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/$major/bin" \
    --change 'ENV LANG=en_US.utf8' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'VOLUME /var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'STOPSIGNAL SIGINT' \
    --change 'EXPOSE 5432' \
    --change 'CMD ["postgres"]'
}

# compose.postgres.backup.yaml's one image for PostgreSQL and pgBackRest: the
# postgres stand-in above with Debian's pgbackrest added, so that the
# database's side (archive-push, its TLS server, restore) and the
# repository's side (the backup service) run the very same pgBackRest, as its
# protocol requires of both ends; the official postgres image has no pgBackRest. Debian trixie carries PostgreSQL 17 and
# pgBackRest together; the package's folders (/var/lib/pgbackrest, the
# repository's mount point, among them) belong to postgres (999) like the rest.
build_pgbackrest() {
  local image=$1
  # jq: the backup service reads `pgbackrest info --output=json` with it.
  build_postgres "$image" pgbackrest,jq
  docker run --rm --network none --entrypoint pgbackrest "$image" version >/dev/null \
    || { log "no working pgbackrest in $image"; exit 1; }
}

# A node of the swarm of test/swarm/three-nodes/, a local image in the manner of docker:dind:
# Debian trixie's Docker engine and CLI (swarm mode and `docker stack` are in
# both), started by docker/offline/swarm-node-entrypoint.sh, with
# /var/lib/docker a volume so that the inner engine's overlay2 sits on the
# outer engine's disk rather than on the container's own overlay.
build_swarm_node() {
  local image=$1 dir
  dir=$(bootstrap trixie trixie docker.io,docker-cli,iptables,ca-certificates,procps)
  [[ -x $dir/usr/sbin/dockerd && -x $dir/usr/bin/docker ]] || { log "no dockerd or docker in $dir"; exit 1; }
  # A machine behind a TLS-inspecting proxy needs its CAs inside the nodes too.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  install -m 0755 "$repo/docker/offline/swarm-node-entrypoint.sh" "$dir/usr/local/bin/dockerd-entrypoint.sh"
  import_rootfs "$dir" "$image" \
    --change "ENV DOCKER_VERSION=$(chroot "$dir" dpkg-query -W -f '${Version}' docker.io)" \
    --change 'VOLUME /var/lib/docker' \
    --change 'STOPSIGNAL SIGTERM' \
    --change 'ENTRYPOINT ["dockerd-entrypoint.sh"]' \
    --change 'CMD []'
}

# The base of the talk's Flask app, which the benchmark measures beside the
# stack (docker/bench/flask-talk/). The talk starts from python:3.8-buster and
# runs `pip install flask`; with no registry and no PyPI here, this is Debian
# bookworm with its python3-flask (Flask and Werkzeug 2.2), and
# python-is-python3 so that the talk's `python /src/app.py` runs as written.
build_python_flask() {
  local image=$1 dir
  dir=$(bootstrap bookworm bookworm python3-flask,python-is-python3)
  chroot "$dir" python -c 'import flask' || { log "no flask for python in $dir"; exit 1; }
  import_rootfs "$dir" "$image" \
    --change "ENV FLASK_VERSION=$(chroot "$dir" dpkg-query -W -f '${Version}' python3-flask)" \
    --change 'CMD ["python"]'
}

# The monitoring services of compose.monitoring.yaml: Debian trixie's
# Prometheus, Alertmanager, nginx exporter and PostgreSQL exporter, in one
# image that each service runs a different binary of. No registry publishes
# such an image, so it is always built here; one debootstrap instead of four,
# and one copy of the base on disk (an imported image is a single layer, so
# four images would share nothing). Everything runs as the packages' own
# `prometheus` user, whose uid is pinned so that volumes keep their owner
# across rebuilds; its two data folders are created owned by it, so that a
# fresh named volume copies that ownership.
build_prometheus() {
  local image=$1 dir old_uid old_gid pkg versions=()
  dir=$(bootstrap trixie trixie prometheus,prometheus-alertmanager,prometheus-nginx-exporter,prometheus-postgres-exporter,ca-certificates)
  for bin in prometheus promtool prometheus-alertmanager amtool prometheus-nginx-exporter prometheus-postgres-exporter; do
    [[ -x $dir/usr/bin/$bin ]] || { log "no /usr/bin/$bin in $dir"; exit 1; }
  done
  old_uid=$(chroot "$dir" id -u prometheus)
  old_gid=$(chroot "$dir" id -g prometheus)
  chroot "$dir" groupmod --gid 9090 prometheus
  chroot "$dir" usermod --uid 9090 --gid 9090 prometheus
  find "$dir" -xdev -uid "$old_uid" -exec chown -h 9090 '{}' +
  find "$dir" -xdev -gid "$old_gid" -exec chgrp -h 9090 '{}' +
  install -d -o 9090 -g 9090 -m 0750 "$dir/var/lib/prometheus/metrics2" "$dir/var/lib/prometheus/alertmanager"
  # A machine behind a TLS-inspecting proxy needs its CAs for webhooks too.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  for pkg in prometheus prometheus-alertmanager prometheus-nginx-exporter prometheus-postgres-exporter; do
    versions+=(--change "LABEL org.debian.package.$pkg=\"$(chroot "$dir" dpkg-query -W -f '${Version}' "$pkg")\"")
  done
  # Like the postgres stand-in: no manuals or translations.
  find "${dir:?}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "${dir:?}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf '{}' +
  rm -rf "${dir:?}/usr/share/man/"* "${dir:?}/usr/share/info/"*
  import_rootfs "$dir" "$image" "${versions[@]}" \
    --change 'USER prometheus' \
    --change 'WORKDIR /var/lib/prometheus' \
    --change 'ENTRYPOINT ["/usr/bin/prometheus"]' \
    --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml"]'
}

# The official registry image (Distribution 2.x), which page 1 of the docs
# runs to push and pull through: Debian trixie's docker-registry (the same
# upstream code, its binary named docker-registry rather than registry),
# serving plain HTTP on :5000 and storing under the /var/lib/registry volume,
# run as root like the official image. The package's own config.yml stores
# under /var/lib/docker-registry, allows deletes, and asks every client for a
# login from an empty htpasswd file, so that no push would pass; it is
# replaced by the official image's default.
build_registry() {
  local image=$1 dir version
  dir=$(bootstrap trixie trixie docker-registry)
  [[ -x $dir/usr/bin/docker-registry ]] || { log "no /usr/bin/docker-registry in $dir"; exit 1; }
  # The official image's default configuration, for the same 2.x code.
  cat >"$dir/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
YAML
  install -d -m 0755 "$dir/var/lib/registry"
  # The official image's binary is `registry` (`docker exec registry registry
  # garbage-collect ...`, say); the name works here too.
  ln -s ../../bin/docker-registry "$dir/usr/local/bin/registry"
  version=$(chroot "$dir" dpkg-query -W -f '${Version}' docker-registry)
  # Like the postgres stand-in: no manuals or translations.
  find "${dir:?}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "${dir:?}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf '{}' +
  rm -rf "${dir:?}/usr/share/man/"* "${dir:?}/usr/share/info/"*
  import_rootfs "$dir" "$image" \
    --change "LABEL org.debian.package.docker-registry=\"$version\"" \
    --change 'VOLUME /var/lib/registry' \
    --change 'EXPOSE 5000' \
    --change 'ENTRYPOINT ["/usr/bin/docker-registry"]' \
    --change 'CMD ["serve", "/etc/docker/registry/config.yml"]'
}

# Stand-ins built before the proxy needed njs lack its module, and a present
# image is otherwise never rebuilt, so such a stand-in is replaced. Any other
# image without it (a mirror's own build, say) is not ours to replace.
nginx_lacks_njs() {
  local image=$1
  [[ $image == nginx:* ]] || return 1
  ! docker run --rm --network none --entrypoint test "$image" -f "$njs_module"
}

ensure() {
  local image=$1
  if docker image inspect "$image" >/dev/null 2>&1; then
    if ! nginx_lacks_njs "$image"; then
      log "$image is present"; return
    fi
    if [[ $(docker image inspect --format "{{ index .Config.Labels \"$standin_label\" }}" "$image") != "$standin_note" ]]; then
      log "$image has no $njs_module, which docker/proxy/nginx.conf loads, and is not a stand-in built here"
      exit 1
    fi
    log "$image is a stand-in without $njs_module; building it again"
    build_nginx "$image"
    return
  fi
  if [[ $image == accounts-stack/* ]]; then
    log "building $image"
  elif timeout "${PULL_TIMEOUT:-20}" docker pull --quiet "$image" >/dev/null 2>&1; then
    log "pulled $image"; return
  else
    log "$image cannot be pulled; building a stand-in"
  fi
  case $image in
    node:*) build_node "$image" ;;
    nginx:*) build_nginx "$image" ;;
    postgres:*) build_postgres "$image" ;;
    accounts-stack/postgres-pgbackrest:*) build_pgbackrest "$image" ;;
    accounts-stack/swarm-node:*) build_swarm_node "$image" ;;
    accounts-stack/python-flask:*) build_python_flask "$image" ;;
    accounts-stack/prometheus:*) build_prometheus "$image" ;;
    registry:2 | registry:2.*) build_registry "$image" ;; # Debian carries 2.x alone
    *) log "no stand-in recipe for $image"; exit 1 ;;
  esac
}

# Images the learner docs (docs/*.md) run by name and no file of the stack
# names: page 1 pushes to and pulls from a throwaway registry:2. Kept by hand,
# since scraping prose for image names would find ones the reader never runs.
docs_images=(registry:2)

# Compose files name a published image as `${POSTGRES_IMAGE:-postgres:17}`;
# commented lines are skipped, and so are defaults that are variables themselves.
list_images() {
  local f
  sed -nE 's/^ARG [A-Z_]+_IMAGE=(.+)$/\1/p' "$repo"/docker/*/Dockerfile "$repo"/docker/bench/*/Dockerfile
  for f in "$repo"/compose*.yaml "$repo"/compose*.yml; do
    [[ -f $f ]] || continue
    sed -E '/^[[:space:]]*#/d' "$f" \
      | { grep -oE '\$\{[A-Z0-9_]+_IMAGE:?-[^}$]+\}' || true; } \
      | sed -E 's/^\$\{[A-Z0-9_]+_IMAGE:?-(.+)\}$/\1/'
  done
  sed -nE "s/.*process\.env\.[A-Z0-9_]+_IMAGE \?\? '([^']+)'.*/\1/p" "$repo/test/support/projects.ts"
  printf '%s\n' "${docs_images[@]}"
}

mapfile -t images < <(list_images | sort -u)
[[ ${#images[@]} -gt 0 ]] || { log "no image defaults in docker/*/Dockerfile or compose*.yaml"; exit 1; }
if (($# > 0)); then
  for image in "$@"; do
    printf '%s\n' "${images[@]}" | grep -qxF -- "$image" || { log "$image is not one of the stack's images: ${images[*]}"; exit 1; }
  done
  images=("$@")
fi
for image in "${images[@]}"; do ensure "$image"; done
