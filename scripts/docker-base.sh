#!/usr/bin/env bash
# Builds a local Node base image, baton-node-base:bookworm, without pulling anything:
# a Debian bookworm minbase root file system (debootstrap, from the Debian mirror apt
# uses) plus this machine's own Node binary, imported with `docker import`.
# For machines where the official node:22-bookworm-slim cannot be pulled.
#
#   scripts/docker-base.sh          # does nothing when the image exists
#   DOCKER_BASE_FORCE=1 scripts/docker-base.sh   # rebuilds the image (the rootfs stays cached)
#   DOCKER_BASE_NODE=/path/to/node scripts/docker-base.sh   # another Node binary (glibc, same arch)
#
# The debootstrap root file system is cached as .cache/docker-base/bookworm-minbase.tar,
# so a rebuild only adds Node and imports (delete the tarball to bootstrap again).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${DOCKER_BASE_IMAGE:-baton-node-base:bookworm}"
MIRROR="${DOCKER_BASE_MIRROR:-http://deb.debian.org/debian}"
CACHE=.cache/docker-base
ROOTFS_TAR="$CACHE/bookworm-minbase.tar"
NODE_BIN="${DOCKER_BASE_NODE:-$(command -v node)}"

if [[ -z "${DOCKER_BASE_FORCE:-}" ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "docker-base: $TAG exists, nothing to do"
  exit 0
fi

work="$(mktemp -d /tmp/baton-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [[ ! -s "$ROOTFS_TAR" ]]; then
  command -v debootstrap >/dev/null || { echo "docker-base: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  echo "docker-base: debootstrap --variant=minbase bookworm (from $MIRROR)"
  # procps for `ps` in the tests; libstdc++6 for Node (apt pulls it in already, to be sure).
  debootstrap --variant=minbase --include=procps,libstdc++6 bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -30 "$work/debootstrap.log" >&2
    exit 1
  }
  # What an image does not need: downloaded packages, package lists, docs, logs.
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* \
    "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* "$work/rootfs"/usr/share/info/* \
    "$work/rootfs"/var/log/*.log "$work/rootfs"/var/log/apt/* "$work/rootfs"/debootstrap
  # Docker mounts its own /dev, /proc and /sys.
  rm -rf "$work/rootfs"/dev/* "$work/rootfs"/proc/* "$work/rootfs"/sys/*
  mkdir -p "$CACHE"
  tar -C "$work/rootfs" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$work/rootfs"
  echo "docker-base: cached the root file system in $ROOTFS_TAR"
fi

previous="$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)"
mkdir "$work/rootfs"
tar -C "$work/rootfs" --numeric-owner -xpf "$ROOTFS_TAR"
install -m 0755 "$NODE_BIN" "$work/rootfs/usr/local/bin/node"
node_version="$("$NODE_BIN" --version)"
tar -C "$work/rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --message "debootstrap minbase bookworm + node $node_version" \
  - "$TAG" >/dev/null
# A forced rebuild leaves the former image untagged: remove it unless a container still uses it.
if [[ -n "$previous" && "$previous" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
echo "docker-base: imported $TAG (Debian bookworm minbase, Node $node_version)"
