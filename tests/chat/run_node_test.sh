#!/usr/bin/env bash
# Runs one end-to-end chat test (a Node.js script in tests/chat/node) against actnet-chat:
#
#   tests/chat/run_node_test.sh <actnet-chat binary> <script.mjs> <output dir>
#
# 1. starts the server on 127.0.0.1, port 0, 4 loops, and reads its URL from the one line it
#    prints on stdout (within CHAT_START_TIMEOUT, 10 s);
# 2. runs `node <script> <url> <output dir>` under `timeout` (CHAT_NODE_TIMEOUT, 120 s); the
#    scripts give up on their own after CHAT_TIMEOUT_MS (90 s here: a 2-core machine shared
#    with other builds, or the ASan build, can take a few times the ~10 s a run takes alone);
# 3. stops the server with SIGTERM: it must exit 0 within CHAT_STOP_TIMEOUT (10 s), else it
#    is killed and the test fails; its stdout must have been exactly that one line, and its
#    stderr must hold no sanitizer report (under the ASan build: no leak at exit).
# Every path (failure, timeout, a signal) kills what it started and removes its temp dir.
# Exits 0 when all of it passed; otherwise prints why and the tail of the server's stderr.
set -uo pipefail

if (($# != 3)); then
  echo "usage: $0 <actnet-chat binary> <script.mjs> <output dir>" >&2
  exit 2
fi
server=$1 script=$2 outdir=$3
start_timeout=${CHAT_START_TIMEOUT:-10}
node_timeout=${CHAT_NODE_TIMEOUT:-120}
export CHAT_TIMEOUT_MS=${CHAT_TIMEOUT_MS:-90000}
stop_timeout=${CHAT_STOP_TIMEOUT:-10}
name=$(basename "$script" .mjs)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/actnet-chat-test.XXXXXX")
server_pid="" node_pid=""

say() { echo "run_node_test.sh ($name): $*" >&2; }

server_tail() {
  if [ -s "$tmp/server.err" ]; then
    echo "---- last 40 lines of the server's stderr ----" >&2
    tail -40 "$tmp/server.err" >&2
    echo "----" >&2
  else
    echo "(the server wrote nothing to stderr)" >&2
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    # `timeout` passes SIGTERM on to node (which closes its browser) and sends SIGKILL 5 s
    # later if node is still there; give it that long before killing `timeout` itself.
    kill -TERM "$node_pid" 2>/dev/null
    local i
    for ((i = 0; i < 70; i++)); do
      kill -0 "$node_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$node_pid" 2>/dev/null
    wait "$node_pid" 2>/dev/null
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  ((rc == 0)) || server_tail
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 1' INT TERM

fail() {
  say "FAIL: $*"
  exit 1
}

[ -x "$server" ] || fail "no server binary at $server"
[ -f "$script" ] || fail "no test script at $script"
command -v node >/dev/null 2>&1 || fail "node is not installed (scripts/setup.sh installs it)"
node_dir=$(cd "$(dirname "$script")" && pwd)
[ -d "$node_dir/node_modules" ] || fail "$node_dir/node_modules is missing; run scripts/setup.sh (npm ci)"
mkdir -p "$outdir" || fail "cannot create $outdir"

# --- 1. start the server and read its URL ------------------------------------------------
: >"$tmp/server.out"
"$server" --addr tcp://127.0.0.1:0 --loops 4 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
url="" deadline=$((SECONDS + start_timeout))
while [ -z "$url" ]; do
  url=$(sed -nE '1s#^actnet-chat: serving (http://127\.0\.0\.1:[0-9]+/)$#\1#p' "$tmp/server.out")
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid"
    rc=$? server_pid=""
    fail "the server exited with code $rc before it printed its URL; stdout: $(head -c 500 "$tmp/server.out")"
  fi
  ((SECONDS < deadline)) || fail "no 'actnet-chat: serving http://127.0.0.1:<port>/' line on stdout within ${start_timeout} s; stdout: $(head -c 500 "$tmp/server.out")"
  sleep 0.1
done
say "server pid $server_pid at $url"

# --- 2. the test itself -------------------------------------------------------------------
# TMPDIR makes the browser's profile and playwright's temp files land in $tmp, which goes.
started=$(date +%s%N)
TMPDIR="$tmp" timeout -k 5 "$node_timeout" node "$script" "$url" "$outdir" &
node_pid=$!
wait "$node_pid"
rc=$? node_pid=""
ms=$((($(date +%s%N) - started) / 1000000))
((rc == 124)) && fail "node $name.mjs did not finish within ${node_timeout} s"
((rc == 0)) || fail "node $name.mjs failed (exit code $rc) after $ms ms"
kill -0 "$server_pid" 2>/dev/null || fail "the server is no longer running after the test"

# --- 3. graceful stop ----------------------------------------------------------------------
kill -TERM "$server_pid"
deadline=$((SECONDS + stop_timeout))
while kill -0 "$server_pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
    fail "the server did not exit within ${stop_timeout} s of SIGTERM (killed)"
  fi
  sleep 0.1
done
wait "$server_pid"
rc=$? server_pid=""
if grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error: ' "$tmp/server.err"; then
  fail "the server reported a sanitizer error (a leak under the ASan build)"
fi
((rc == 0)) || fail "the server exited with code $rc after SIGTERM, expected 0"
lines=$(wc -l <"$tmp/server.out")
((lines == 1)) || fail "the server printed $lines lines on stdout, expected exactly one: $(head -c 500 "$tmp/server.out")"
say "ok ($ms ms in node)"
