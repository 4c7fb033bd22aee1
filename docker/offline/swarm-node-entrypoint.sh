#!/bin/sh
# The entrypoint of the swarm node image (build-base-images.sh): one Docker
# engine per container, as docker:dind runs it, for the swarm of test/swarm/three-nodes/.
# Run privileged, with /var/lib/docker on a volume (the image declares one):
# overlay2 cannot stack on the container's own overlay root.
set -eu

# cgroup v2 allows processes only in leaf groups that enable controllers, so
# this container's processes move to a child group before the inner engine's
# containers get theirs with memory and cpu limits (the stack sets both).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control
fi

# A node restarted on the same volume finds the last engine's pid file.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
exec dockerd --host=unix:///var/run/docker.sock --storage-driver=overlay2 "$@"
