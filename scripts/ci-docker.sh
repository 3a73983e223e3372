#!/usr/bin/env bash
# CI: a Docker engine, compose and the local Node base image that test/docker needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/docker-setup.sh
docker info --format 'docker {{.ServerVersion}} ({{.Driver}})'
