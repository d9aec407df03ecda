#!/usr/bin/env bash
# Builds actnet: setup, then configure and build. Defaults to the Release build in build/,
# where every demo lands as build/bin/actnet-<demo>.
#
#   scripts/build.sh [--dir DIR] [--asserts] [--sanitize LIST] [--type TYPE] [--target T]... [-- CMAKE_ARGS]
#
#   --asserts        turn on debug assertions (thread ownership, invariants) in any build type
#   --sanitize LIST  'address,undefined' or 'thread'
# Environment: CXX picks the compiler (g++ by default), ACTNET_SKIP_SETUP=1 skips setup.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

dir="$root/build" asserts=OFF sanitize="" type=Release targets=() extra=()
while (($#)); do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --asserts) asserts=ON; shift ;;
    --sanitize) sanitize=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

[ "${ACTNET_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$dir" "${generator[@]}" -DCMAKE_CXX_COMPILER="${CXX:-g++}" >/dev/null
fi
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DACTNET_DEBUG_ASSERTS="$asserts" \
  -DACTNET_SANITIZE="$sanitize" "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$jobs" "${targets[@]}"
