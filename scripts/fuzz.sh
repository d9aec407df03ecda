#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cpp) with clang 14 and runs each for
# SECONDS (default 60). A corpus kept in tests/fuzz/corpus/<target>/ seeds the run; what the
# fuzzer finds goes to build/fuzz/corpus/<target>/. Exits non-zero on any crash, leak or
# sanitizer report; the reproducer is left in build/fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
dir="$root/build/fuzz"
mkdir -p "$root/build"

shopt -s nullglob
sources=("$root"/tests/fuzz/*_fuzz.cpp)
if ((${#sources[@]} == 0)); then
  echo "fuzz.sh: no fuzz targets yet"
  exit 0
fi

[ "${ACTNET_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh" || exit 1
if ! CXX=clang++-14 ACTNET_SKIP_SETUP=1 "$root/scripts/build.sh" --dir "$dir" --type RelWithDebInfo --asserts \
  -- -DACTNET_BUILD_FUZZERS=ON -DACTNET_BUILD_TESTS=OFF -DACTNET_BUILD_DEMOS=OFF \
  -DACTNET_BUILD_BENCHMARKS=OFF >"$dir.log" 2>&1; then
  tail -40 "$dir.log"
  echo "fuzz.sh: build failed"
  exit 1
fi

status=0
mkdir -p "$dir/artifacts"
for source in "${sources[@]}"; do
  name=$(basename "$source" .cpp)
  corpus="$dir/corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$root/tests/fuzz/corpus/$name" ] && seeds=("$root/tests/fuzz/corpus/$name")
  log="$dir/$name.log"
  if ASAN_OPTIONS=detect_leaks=1 "$dir/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    echo "fuzz: $name: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$') runs in ${seconds} s, no crash"
  else
    status=1
    echo "fuzz: $name FAILED"
    grep -A30 -E 'ERROR: |runtime error|deadly signal' "$log" | head -60
  fi
done
exit $status
