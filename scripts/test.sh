#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. setup, the Release build in build/, every test;
#   2. an ASan+UBSan build with clang 14 (debug assertions on) in build/asan, every test;
#   3. a TSan build with clang 14 in build/tsan, the tests labelled "concurrency";
# so g++ (stage 1) and clang (stages 2-3) both build everything warning-free.
#   4. every libFuzzer target for ACTNET_FUZZ_SECONDS (default 30) each, if any exist.
# Ends with the totals and exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)
logs="$root/build/test-logs"
passed=0 failed=0 status=0

"$root/scripts/setup.sh" || exit 1
export ACTNET_SKIP_SETUP=1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# scripts/tsan.supp names the one false positive TSan reports (moodycamel's fence-ordered
# block reuse) and why.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp}

# stage NAME BUILD_DIR CTEST_ARGS... : runs ctest, keeps its log, adds to the totals.
stage() {
  local name=$1 dir=$2
  shift 2
  mkdir -p "$logs"
  echo "== $name: ctest $*"
  local start=$SECONDS
  (cd "$dir" && ctest -j "$jobs" --output-on-failure --no-tests=error "$@") >"$logs/$name.log" 2>&1
  local rc=$?
  grep -E '^[[:space:]]*[0-9]+/[0-9]+ Test' "$logs/$name.log" | grep -v ' Passed ' || true
  sed -n '/tests passed/,$p' "$logs/$name.log"
  local total fails
  total=$(sed -nE 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/p' "$logs/$name.log")
  fails=$(sed -nE 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/p' "$logs/$name.log")
  if [ -z "$total" ]; then
    tail -40 "$logs/$name.log"
    total=0 fails=1
  fi
  passed=$((passed + total - fails))
  failed=$((failed + fails))
  if ((rc != 0)); then
    status=1
    grep -B2 -A40 -E 'FAILED|ERROR: (Address|Thread|Leak)Sanitizer|runtime error:' "$logs/$name.log" | head -200
  fi
  echo "== $name: $((SECONDS - start)) s"
}

build() {
  if ! "$root/scripts/build.sh" "$@" >"$logs/build.log" 2>&1; then
    tail -60 "$logs/build.log"
    echo "== build failed: scripts/build.sh $*"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
  fi
}

mkdir -p "$logs"
echo "== release build"
build
stage release build

echo "== asan+ubsan build"
CXX=clang++-14 build --dir build/asan --type RelWithDebInfo --asserts --sanitize address,undefined \
  -- -DACTNET_BUILD_DEMOS=ON -DACTNET_BUILD_BENCHMARKS=OFF
# The consumer test (tests/consumer) checks packaging, not memory: the release stage runs it.
stage asan build/asan -LE consumer

echo "== tsan build"
CXX=clang++-14 build --dir build/tsan --type RelWithDebInfo --asserts --sanitize thread --target concurrency-tests \
  -- -DACTNET_BUILD_BENCHMARKS=OFF
stage tsan build/tsan -L concurrency

if compgen -G "$root/tests/fuzz/*_fuzz.cpp" >/dev/null; then
  echo "== fuzzing, ${ACTNET_FUZZ_SECONDS:-30} s per target"
  if "$root/scripts/fuzz.sh" "${ACTNET_FUZZ_SECONDS:-30}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
  fi
fi

echo "== total"
echo "$passed passed, $failed failed"
exit $status
