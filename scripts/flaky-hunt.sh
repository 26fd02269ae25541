#!/usr/bin/env bash
# Flaky-test hunt: runs one test command N times in a row (default 20), each bounded by a
# timeout, and reports how many runs passed and failed. The output of every failed run is
# kept (its path is printed) so the failure can be read afterwards.
# usage: scripts/flaky-hunt.sh [-n RUNS] [-t SECONDS_PER_RUN] [-x] -- COMMAND [ARGS...]
#   -x  stop at the first failure (by default every run is made)
# example (one doctest case of the integration binary, 20 times):
#   STILLROOM_TEST_JACK_SUFFIX=me scripts/flaky-hunt.sh -n 20 -- \
#       build/tests/integration_tests -tc="the journal's disk fills up*"
# Exit 0 when every run passed, 1 when any failed, 2 on a usage error.
set -uo pipefail
runs=20
per_run=600
stop_at_first=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="${2:-}"; shift 2 ;;
    -t) per_run="${2:-}"; shift 2 ;;
    -x) stop_at_first=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ] || ! [[ "$runs" =~ ^[1-9][0-9]*$ ]] || ! [[ "$per_run" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [-n RUNS] [-t SECONDS_PER_RUN] [-x] -- COMMAND [ARGS...]" >&2
  exit 2
fi
logs="$(mktemp -d "${TMPDIR:-/tmp}/flaky-hunt.XXXXXX")"
passed=0
failed=0
failed_runs=()
start=$(date +%s)
for ((i = 1; i <= runs; i++)); do
  log="$logs/run-$i.log"
  t0=$(date +%s)
  timeout --kill-after=10 "$per_run" "$@" >"$log" 2>&1
  rc=$?
  t1=$(date +%s)
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    rm -f "$log"
    echo "run $i/$runs: pass ($((t1 - t0)) s)"
  else
    failed=$((failed + 1))
    failed_runs+=("$i")
    why="exit $rc"
    [ "$rc" -eq 124 ] && why="timed out after ${per_run} s"
    echo "run $i/$runs: FAIL ($why, $((t1 - t0)) s): $log"
    [ "$stop_at_first" -eq 1 ] && break
  fi
done
total=$((passed + failed))
echo "flaky-hunt: $passed passed, $failed failed of $total runs in $(($(date +%s) - start)) s: $*"
if [ "$failed" -gt 0 ]; then
  echo "flaky-hunt: failed runs: ${failed_runs[*]}; their output: $logs"
  exit 1
fi
rmdir "$logs" 2>/dev/null || true
exit 0
