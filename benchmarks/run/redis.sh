#!/usr/bin/env bash
# Redis mode of scripts/bench.sh: actnet-redis against redis-server (persistence off,
# default io-threads: commands run on one thread) on 127.0.0.1, driven by redis-benchmark -t ping,set,get with 50
# clients, once without pipelining and once with -P 16. Each round runs both servers, the
# order flipping every round; each run gets a fresh server.
#
#   benchmarks/run/redis.sh   (BENCH_ROUNDS=3; BENCH_REDIS_REQUESTS=200000 per test without
#                              pipelining, 10 times as many with -P 16)
#
# Writes benchmarks/results/redis.csv (mode,case,server,round,metric,value); cases are
# ping_inline, ping_mbulk, set, get, each also with -P16; metrics ops_per_s, p50_ms, p99_ms
# and cpu_us_per_op: the server's CPU time (user + system) per request during the
# redis-benchmark run of that command (ping_inline and ping_mbulk share one run), which a
# busy machine disturbs far less than requests/s.
#
# actnet-redis runs twice: "actnet" with 1 loop, the thread count redis-server runs commands
# on (the ratios are this one's), and "actnet-2loops" with 2. On 2 cores redis-benchmark
# needs one of them, and redis-benchmark's single key (key:__rand_int__ without -r) lives on
# one loop's shard, so half the commands of 2 loops cross to the other loop and back.
set -euo pipefail
source "$(dirname "$0")/proto_common.sh"

requests=${BENCH_REDIS_REQUESTS:-200000}
need redis-server redis-benchmark redis-cli python3 "$bench_bin/actnet-redis"

# start_server NAME PORT: pid in $started.
start_server() {
  local name=$1 port=$2 dir="$proto_tmp/$1"
  mkdir -p "$dir"
  case "$name" in
    actnet)
      start "$dir/out.log" "$bench_bin/actnet-redis" --addr "tcp://127.0.0.1:$port" --loops 1 ;;
    actnet-2loops)
      start "$dir/out.log" "$bench_bin/actnet-redis" --addr "tcp://127.0.0.1:$port" --loops 2 ;;
    redis-server)
      start "$dir/out.log" redis-server --bind 127.0.0.1 --port "$port" --save '' \
        --appendonly no --dir "$dir" --logfile "" ;;
  esac
  wait_port "$port" "$started" || { cat "$dir/out.log" >&2; exit 1; }
}

# run_benchmark SERVER ROUND PORT SUFFIX TEST REQUESTS ARGS...: one redis-benchmark run of
# TEST (ping, set or get), into the CSV.
run_benchmark() {
  local server=$1 round=$2 port=$3 suffix=$4 t=$5 n=$6 out ticks
  shift 6
  ticks=$(cpu_ticks "$started")
  out=$(redis-benchmark -h 127.0.0.1 -p "$port" -t "$t" -c 50 -n "$n" -q --csv "$@")
  ticks=$(($(cpu_ticks "$started") - ticks))
  local expected=1
  [ "$t" != ping ] || expected=2
  local cpu
  cpu=$(cpu_us_per_op "$ticks" "$((n * expected))")
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",...
  local found=0 test rps p50 p99 name
  while IFS=, read -r test rps _ _ p50 _ p99 _; do
    test=${test//\"/}
    [ "$test" != test ] || continue
    name=$(echo "$test" | tr 'A-Z' 'a-z')$suffix
    rps=${rps//\"/} p50=${p50//\"/} p99=${p99//\"/}
    row "$name" "$server" "$round" ops_per_s "${rps%.*}"
    row "$name" "$server" "$round" p50_ms "$p50"
    row "$name" "$server" "$round" p99_ms "$p99"
    row "$name" "$server" "$round" cpu_us_per_op "$cpu"
    echo "bench redis: round $round $name $server ops_per_s=${rps%.*} p99_ms=$p99" >&2
    found=$((found + 1))
  done <<<"$out"
  if ((found != expected)); then
    echo "bench: redis-benchmark -t $t against $server gave $found results, not $expected:" >&2
    echo "$out" >&2
    exit 1
  fi
}

csv_open redis
echo "bench redis: $BENCH_ROUNDS rounds, $requests requests per test (x10 with -P 16)" >&2
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for server in $(servers_for_round "$round" actnet actnet-2loops redis-server); do
    port=$(free_port)
    start_server "$server" "$port"
    # Both must answer like Redis before they are timed.
    [ "$(redis-cli -h 127.0.0.1 -p "$port" SET bench:check ok)" = OK ] &&
      [ "$(redis-cli -h 127.0.0.1 -p "$port" GET bench:check)" = ok ] ||
      { echo "bench: $server does not answer SET/GET" >&2; exit 1; }
    for t in ping set get; do
      run_benchmark "$server" "$round" "$port" "" "$t" "$requests"
    done
    for t in ping set get; do
      run_benchmark "$server" "$round" "$port" "-P16" "$t" "$((requests * 10))" -P 16
    done
    stop "$started"
  done
done
report
