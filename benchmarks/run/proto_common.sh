# Helpers shared by the protocol benchmark modes (http.sh, redis.sh, mailbox.sh): sourced,
# never run. They keep every server on 127.0.0.1, every file in one temp dir, and every
# process they start on a list that is stopped on exit, so an interrupted run leaves nothing.
#
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), ACTNET_BIN or BENCH_BUILD (see bench_bin).

proto_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-5}
# The binaries: ACTNET_BIN as scripts/bench.sh exports it (its Release tree, build/bench),
# else BENCH_BUILD/bin for a hand run against another tree, else build/bench/bin.
if [ -n "${ACTNET_BIN:-}" ]; then
  bench_bin=$ACTNET_BIN
elif [ -n "${BENCH_BUILD:-}" ]; then
  bench_bin="$BENCH_BUILD/bin"
else
  bench_bin="$proto_root/build/bench/bin"
fi

proto_tmp=$(mktemp -d "${TMPDIR:-/tmp}/actnet-bench.XXXXXX")
proto_pids=()

proto_cleanup() {
  local pid
  for pid in "${proto_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${proto_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$proto_tmp"
}
trap proto_cleanup EXIT
trap 'exit 130' INT TERM

# need PROGRAM...: stops with a clear message when a tool is missing.
need() {
  local p
  for p in "$@"; do
    if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "$p" ]; then
      echo "bench: '$p' is missing (scripts/setup.sh installs the tools; scripts/build.sh the binaries)" >&2
      exit 1
    fi
  done
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT PID: waits (up to 10 s) until 127.0.0.1:PORT accepts, or PID died.
wait_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: the server (pid $pid) exited before listening on $port" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench: nothing listens on 127.0.0.1:$port after 10 s" >&2
  return 1
}

# start LOG COMMAND...: starts a server in the background; its pid is in $started.
start() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  started=$!
  proto_pids+=("$started")
}

# stop PID: asks the server to stop (SIGTERM), then waits up to 10 s before SIGKILL.
stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${proto_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  proto_pids=("${kept[@]}")
}

# cpu_ticks PID: CPU time (user + system, in clock ticks) used so far by PID and its direct
# children (nginx's workers). Under a busy machine, CPU time per request says more about a
# server's efficiency than its share of the wall clock does.
cpu_ticks() {
  local pid total=0 f
  for pid in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    # Fields 14 and 15 of /proc/PID/stat, counted after the ')' that ends the command name.
    f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $f
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# cpu_us_per_op TICKS OPS: microseconds of CPU per operation, from a cpu_ticks difference.
cpu_us_per_op() {
  python3 -c "import os, sys
t, n = int(sys.argv[1]), float(sys.argv[2])
print(f'{t * 1e6 / os.sysconf(\"SC_CLK_TCK\") / n:.3f}' if n > 0 else '0')" "$1" "$2"
}

# csv_open MODE: starts benchmarks/results/MODE.csv with the contract's header.
csv_open() {
  proto_mode=$1
  mkdir -p "$proto_root/benchmarks/results"
  proto_csv="$proto_root/benchmarks/results/$proto_mode.csv"
  echo "mode,case,server,round,metric,value" >"$proto_csv"
}

# row CASE SERVER ROUND METRIC VALUE: appends one measurement.
row() {
  echo "$proto_mode,$1,$2,$3,$4,$5" >>"$proto_csv"
}

# report: the shared report (medians, actnet/peer ratios, spread) when it exists, else the CSV.
report() {
  echo "bench: results in $proto_csv" >&2
  if [ -f "$proto_root/benchmarks/report.py" ]; then
    python3 "$proto_root/benchmarks/report.py" "$proto_csv"
  else
    cat "$proto_csv"
  fi
}

# servers_for_round ROUND NAME...: the names rotated by one place each round (A B C, then
# B C A, ...), so no server always runs first (on a warmer or a busier machine).
servers_for_round() {
  local round=$1
  shift
  local names=("$@") n=$# i
  for ((i = 0; i < n; i++)); do printf '%s ' "${names[$(((i + round - 1) % n))]}"; done
  echo
}
