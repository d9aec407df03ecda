#!/usr/bin/env bash
# Runs doxygen over the public headers with docs/Doxyfile, writing into OUTPUT_DIR (never the
# source tree), and fails on any warning: an undocumented public symbol, a bad \param.
#   tests/docs/doxygen.sh SOURCE_DIR OUTPUT_DIR [GENERATED_INCLUDE_DIR]
# (HTML: OUTPUT_DIR/html/index.html). GENERATED_INCLUDE_DIR is the build's include dir holding
# the headers CMake generates from actors/cmake/*.hpp.in: its actnet/version.hpp is documented
# too (actnet/export.hpp only defines ACTNET_API, which the Doxyfile predefines as empty).
# Exit 77 (ctest: skipped) only when doxygen is missing; scripts/setup.sh installs it.
set -euo pipefail
source_dir=$1
output_dir=$2
generated_dir=${3:-}
if ! command -v doxygen >/dev/null 2>&1; then
  echo "doxygen is not installed (scripts/setup.sh installs it): the API docs were not checked"
  exit 77
fi
mkdir -p "$output_dir"
output_dir=$(cd "$output_dir" && pwd)  # doxygen runs from the source directory
warnings=$output_dir/warnings.log
rm -f "$warnings"
cd "$source_dir"
status=0
extra_input=()
if [ -n "$generated_dir" ]; then
  if [ ! -f "$generated_dir/actnet/version.hpp" ]; then
    echo "no generated $generated_dir/actnet/version.hpp: configure the build first"
    exit 1
  fi
  generated_dir=$(cd "$generated_dir" && pwd)
  extra_input=("INPUT += $generated_dir/actnet/version.hpp"
    "STRIP_FROM_PATH += $generated_dir" "STRIP_FROM_INC_PATH += $generated_dir")
fi
( cat docs/Doxyfile; echo "OUTPUT_DIRECTORY=$output_dir"; echo "WARN_LOGFILE=$warnings"
  for line in "${extra_input[@]}"; do echo "$line"; done ) |
  doxygen - >"$output_dir/doxygen.log" 2>&1 || status=$?
if [ -s "$warnings" ] || [ "$status" -ne 0 ]; then
  cat "$warnings" 2>/dev/null || true
  tail -5 "$output_dir/doxygen.log"
  echo "doxygen: warnings (or exit status $status): every public symbol needs a /// comment"
  exit 1
fi
echo "doxygen: no warnings; API reference in $output_dir/html/index.html"
