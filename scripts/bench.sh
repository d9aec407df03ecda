#!/usr/bin/env bash
# The benchmark driver: setup, a Release build with the benchmarks on, then each mode's
# script benchmarks/run/<mode>.sh, which writes benchmarks/results/<mode>.csv and prints the
# report (benchmarks/report.py: medians, actnet's ratio to each peer, spread, geometric mean).
#
#   scripts/bench.sh echo|http|redis|memory|mailbox|all
#
# Environment: BENCH_ROUNDS (rounds per case, default 3), BENCH_SECONDS (measured seconds per
# run, default 5), BENCH_QUICK=1 (a smoke run: 1 round, 1 s, a 2-case matrix),
# BENCH_BUILD_DIR (default build/bench), ACTNET_SKIP_SETUP=1 (skip scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs="$root/benchmarks/run"

usage() {
  echo "usage: scripts/bench.sh echo|http|redis|memory|mailbox|all" >&2
  exit 2
}
(($# == 1)) || usage
modes=()
if [ "$1" = all ]; then
  for m in echo http redis memory mailbox; do
    [ -f "$runs/$m.sh" ] && modes+=("$m")
  done
else
  case "$1" in echo | http | redis | memory | mailbox) ;; *) usage ;; esac
  [ -f "$runs/$1.sh" ] || { echo "bench.sh: no benchmarks/run/$1.sh in this checkout" >&2; exit 2; }
  modes=("$1")
fi

# Its own build tree: Release without debug asserts, tests off, so a benchmark never runs
# the checks of a test build and never reconfigures build/.
build_dir=${BENCH_BUILD_DIR:-$root/build/bench}
"$root/scripts/build.sh" --dir "$build_dir" -- -DACTNET_BUILD_BENCHMARKS=ON \
  -DACTNET_BUILD_DEMOS=ON -DACTNET_BUILD_TESTS=OFF >&2

export ACTNET_ROOT="$root" ACTNET_BIN="$build_dir/bin"
for mode in "${modes[@]}"; do
  echo "== $mode" >&2
  bash "$runs/$mode.sh"
done
