#!/usr/bin/env bash
# What the tests in test/docker need: a Docker engine that answers, compose (the plugin
# or docker-compose 1.x), and a Node base image. Installs Debian's docker.io,
# docker-compose and debootstrap when missing, starts dockerd when no engine answers
# (and waits for it), then builds baton-node-base:bookworm (scripts/docker-base.sh).
# Safe to run again: each step is skipped when already done. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERD_LOG="${DOCKERD_LOG:-/tmp/baton-dockerd.log}"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker >/dev/null || need+=(docker.io)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then need+=(docker-compose); fi
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "docker-setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

engine_answers() { docker info >/dev/null 2>&1; }

# Starts dockerd with the given options; true once `docker info` answers (within 60 s).
start_dockerd() {
  echo "docker-setup: starting dockerd $* (log: $DOCKERD_LOG)"
  setsid nohup dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 120); do
    engine_answers && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "docker-setup: dockerd $* did not come up; the end of its log:" >&2
  tail -15 "$DOCKERD_LOG" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f /var/run/docker.pid
  return 1
}

if engine_answers; then
  echo "docker-setup: the Docker engine answers ($(docker info --format '{{.ServerVersion}}, {{.Driver}}'))"
else
  # The defaults first (overlay2), then the file system driver that needs no overlayfs.
  start_dockerd || start_dockerd --storage-driver=vfs || {
    echo "docker-setup: no Docker engine could be started here" >&2
    exit 1
  }
fi

scripts/docker-base.sh
