#!/usr/bin/env bash
# Idle memory per connection: each echo server's resident set (VmRSS) with 10,000 idle
# connections, each having echoed one 16-byte message so its per-connection state is
# touched, minus its resident set with none, divided by the connections. 2 threads per
# server, a fresh process per run, servers alternating within each round. Writes
# benchmarks/results/memory.csv (rss_kib_per_conn, plus rss_base_kib and errors).
# Environment: BENCH_ROUNDS, BENCH_QUICK (1 round, 2,000 connections).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/common.sh"
bench_init memory

threads=2
connections=10000
[ "$BENCH_QUICK" = 1 ] && connections=2000
case="idle-c$connections"
mapfile -t servers < <(echo_servers)

rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for server in "${servers[@]}"; do
    log="$BENCH_LOGS/memory-$server-$round.log"
    if ! start_echo_server "$server" "$threads" "$log"; then
      bench_row "$case" "$server" "$round" errors 1
      continue
    fi
    sleep 0.5  # let start-up allocations settle
    base=$(rss_kib "$SERVER_PID")
    out="$BENCH_LOGS/memory-$server-$round.json"
    : >"$out"
    bench_spawn "$out" "$ACTNET_BIN/actnet-loadgen" --port "$SERVER_PORT" --threads "$threads" \
      --connections "$connections" --size 16 --pipeline 1 --hold 120
    loadgen=$BENCH_PID
    # The JSON line appears once every connection has had its echo (at most ~30 s).
    for ((tries = 0; tries < 900; tries++)); do
      grep -q '^{' "$out" && break
      kill -0 "$loadgen" 2>/dev/null || break
      sleep 0.05
    done
    sleep 0.5
    rss=$(rss_kib "$SERVER_PID" || echo 0)
    bench_stop "$loadgen"
    bench_stop "$SERVER_PID"
    json=$(grep '^{' "$out" | tail -1 || true)
    cat "$out" >>"$log"
    mapfile -t values < <(json_fields "$json" connected errors)
    connected=${values[0]} errors=${values[1]}
    if [ "$connected" = nan ] || [ "$connected" = 0 ]; then
      echo "memory: $server round $round: no connections held; see $log" >&2
      bench_row "$case" "$server" "$round" errors 1
      continue
    fi
    per_conn=$(awk -v r="$rss" -v b="$base" -v n="$connected" 'BEGIN { printf "%.3f", (r - b) / n }')
    bench_row "$case" "$server" "$round" rss_kib_per_conn "$per_conn"
    bench_row "$case" "$server" "$round" rss_base_kib "$base"
    bench_row "$case" "$server" "$round" errors "$errors"
    printf 'memory: round %d %-9s base %7s KiB, with %s connections %8s KiB: %s KiB each\n' \
      "$round" "$server" "$base" "$connected" "$rss" "$per_conn" >&2
  done
done
bench_report
