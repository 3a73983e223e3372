#!/usr/bin/env bash
# Runs a command (by default `npm test`, the README's test command) while busy loops keep
# every core of the machine busy, as on a CI machine shared with other work; the loops are
# stopped however the command ends, and its exit status is this script's.
#   scripts/under-load.sh                 npm test beside two busy loops
#   scripts/under-load.sh .ci/run         the whole CI run beside them
#   BUSY_LOOPS=4 scripts/under-load.sh    more loops
set -uo pipefail
cd "$(dirname "$0")/.."

loops=${BUSY_LOOPS:-2}
pids=()
stop_loops() {
  ((${#pids[@]})) || return 0
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  pids=()
}
trap stop_loops EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$loops"); do
  sh -c 'while :; do :; done' &
  pids+=($!)
done
(($#)) || set -- npm test
echo "under-load: $loops busy loops (pids ${pids[*]}) beside: $*"
started=$SECONDS
"$@"
status=$?
echo "under-load: $* exited $status after $((SECONDS - started)) s"
exit "$status"
