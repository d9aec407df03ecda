#!/usr/bin/env bash
# Runs a demo: setup, build, start. With no NAME, the main demo (chat, else echo).
#   scripts/demo.sh [NAME] [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" >&2

bin="$root/build/bin"
if (($# == 0)) || [[ "$1" == -* ]]; then
  name=""
  for candidate in chat echo; do
    if [ -x "$bin/actnet-$candidate" ]; then name=$candidate; break; fi
  done
  if [ -z "$name" ]; then
    echo "demo.sh: no demo exists yet (the echo server arrives with the engine)." >&2
    exit 1
  fi
else
  name=$1
  shift
fi
if [ ! -x "$bin/actnet-$name" ]; then
  echo "demo.sh: no demo named '$name'; built demos: $(cd "$bin" && ls actnet-* 2>/dev/null | grep -v bench | sed 's/^actnet-//' | tr '\n' ' ')" >&2
  exit 1
fi
exec "$bin/actnet-$name" "$@"
