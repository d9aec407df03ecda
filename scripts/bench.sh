#!/usr/bin/env bash
# Builds the Release tree and runs every benchmark side by side. Figures go to stdout; each
# benchmark prints its peers and the ratios in the same run.
#   scripts/bench.sh [NAME...]   (default: all of build/bin/actnet-bench-*)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >&2
cd "$root/build/bin"
names=("$@")
if ((${#names[@]} == 0)); then
  for b in actnet-bench-*; do names+=("${b#actnet-bench-}"); done
fi
for name in "${names[@]}"; do
  echo "== $name"
  "./actnet-bench-$name"
done
