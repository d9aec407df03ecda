#!/usr/bin/env bash
# Builds the Release tree and runs benchmarks side by side. Figures go to stdout; each
# benchmark prints its peers and the ratios in the same run.
#   scripts/bench.sh MODE        runs benchmarks/run/MODE.sh (http, redis, mailbox, ...),
#                                which writes benchmarks/results/MODE.csv
#   scripts/bench.sh [NAME...]   runs build/bin/actnet-bench-NAME (default: all of them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >&2
if (($# == 1)) && [ -f "$root/benchmarks/run/$1.sh" ]; then
  exec env BENCH_BUILD="$root/build" "$root/benchmarks/run/$1.sh"
fi
cd "$root/build/bin"
names=("$@")
if ((${#names[@]} == 0)); then
  for b in actnet-bench-*; do names+=("${b#actnet-bench-}"); done
fi
for name in "${names[@]}"; do
  echo "== $name"
  "./actnet-bench-$name"
done
