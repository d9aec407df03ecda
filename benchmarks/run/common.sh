# shellcheck shell=bash
# Shell helpers every benchmarks/run/<mode>.sh sources: the results CSV, servers started in
# the background and always stopped (trap), free loopback ports, waiting for a port, and the
# echo servers' command lines. Expects ACTNET_ROOT and ACTNET_BIN (scripts/bench.sh sets
# them; a mode script run by hand falls back to this checkout and build/bench/bin).
#
# No CPU pinning: on a small machine the server's threads and the load generator's threads
# share every core, and pinning either side would only starve it; all servers meet the same
# conditions in alternation instead.

ACTNET_ROOT=${ACTNET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ACTNET_BIN=${ACTNET_BIN:-$ACTNET_ROOT/build/bench/bin}
BENCH_RESULTS=${BENCH_RESULTS:-$ACTNET_ROOT/benchmarks/results}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
  BENCH_ROUNDS=1
  BENCH_SECONDS=1
fi

# Servers and load generators started by bench_spawn, stopped by bench_cleanup.
bench_pids=()

bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do
    bench_stop "$pid"
  done
  bench_pids=()
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# bench_init MODE: a fresh results CSV (the shared contract: one header, one row per
# metric of one server in one round of one case) and enough file descriptors.
bench_init() {
  BENCH_MODE=$1
  BENCH_CSV="$BENCH_RESULTS/$BENCH_MODE.csv"
  BENCH_LOGS="$BENCH_RESULTS/logs"
  mkdir -p "$BENCH_RESULTS" "$BENCH_LOGS"
  echo "mode,case,server,round,metric,value" >"$BENCH_CSV"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

# bench_row CASE SERVER ROUND METRIC VALUE
bench_row() {
  echo "$BENCH_MODE,$1,$2,$3,$4,$5" >>"$BENCH_CSV"
}

# bench_report: the table, benchmarks/results/<mode>.md and, with gnuplot, <mode>.png.
bench_report() {
  python3 "$ACTNET_ROOT/benchmarks/report.py" "$BENCH_CSV"
}

# free_port: a loopback TCP port nobody listens on, below the ephemeral range so no client
# socket holds it (a lost race is retried by start_echo_server). Pure bash: a python start-up
# per run would cost seconds on a loaded machine.
free_port() {
  local port
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  done
  echo "$port"
}

# wait_port PORT PID: until 127.0.0.1:PORT accepts (0), PID exits or 10 s pass (1).
wait_port() {
  local port=$1 pid=$2 tries
  for ((tries = 0; tries < 200; tries++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# bench_spawn LOG COMMAND...: starts COMMAND in the background; its pid in BENCH_PID.
bench_spawn() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 </dev/null &
  BENCH_PID=$!
  bench_pids+=("$BENCH_PID")
}

# bench_stop PID: SIGTERM, then SIGKILL after 3 s; reaps it.
bench_stop() {
  local pid=$1 tries
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  for ((tries = 0; tries < 60; tries++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${bench_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  bench_pids=("${kept[@]}")
}

# The echo servers in the order they alternate; only those whose binary was built.
echo_servers() {
  local name
  [ -x "$ACTNET_BIN/actnet-echo" ] && echo actnet
  for name in asio libuv libevent epoll; do
    [ -x "$ACTNET_BIN/actnet-peer-$name-echo" ] && echo "$name"
  done
  return 0
}

# echo_server_command NAME PORT THREADS: the command line of one echo server.
echo_server_command() {
  local name=$1 port=$2 threads=$3
  if [ "$name" = actnet ]; then
    echo "$ACTNET_BIN/actnet-echo --addr tcp://127.0.0.1:$port --loops $threads --reuse-port --log-level warn"
  else
    echo "$ACTNET_BIN/actnet-peer-$name-echo --port $port --threads $threads"
  fi
}

# start_echo_server NAME THREADS LOG: starts it on a free port (three tries); sets
# SERVER_PID and SERVER_PORT, or returns 1.
start_echo_server() {
  local name=$1 threads=$2 log=$3
  for _ in 1 2 3; do
    SERVER_PORT=$(free_port)
    # shellcheck disable=SC2046
    bench_spawn "$log" $(echo_server_command "$name" "$SERVER_PORT" "$threads")
    SERVER_PID=$BENCH_PID
    wait_port "$SERVER_PORT" "$SERVER_PID" && return 0
    bench_stop "$SERVER_PID"
  done
  echo "bench: $name did not start; see $log" >&2
  return 1
}

# json_fields JSON NAME...: the named numeric fields of a loadgen JSON line, one per line
# ("nan" for a missing or null one).
json_fields() {
  local json=$1 name value
  shift
  for name in "$@"; do
    value=$(sed -n "s/.*\"$name\":\([^,}]*\).*/\1/p" <<<"$json")
    [ -z "$value" ] || [ "$value" = null ] && value=nan
    echo "$value"
  done
}
