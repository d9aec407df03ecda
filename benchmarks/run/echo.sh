#!/usr/bin/env bash
# Echo throughput, latency and CPU: actnet-echo against the peer echo servers, all with 2
# threads, driven by actnet-loadgen (2 threads) over pipeline {1,16} × connections
# {100,1000} × message size {16,512,4096}. Servers alternate within each case (A B C D E,
# then the next case, then the next round) so drift of the machine hits all alike; each run
# starts a fresh server process and kills it after. Writes benchmarks/results/echo.csv.
# Environment: BENCH_ROUNDS, BENCH_SECONDS, BENCH_QUICK (see scripts/bench.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/common.sh"
bench_init echo

threads=2
warmup=1
cases=()
if [ "$BENCH_QUICK" = 1 ]; then
  cases=(p1-c100-s512 p16-c1000-s4096)
else
  for p in 1 16; do
    for c in 100 1000; do
      for s in 16 512 4096; do cases+=("p$p-c$c-s$s"); done
    done
  done
fi
mapfile -t servers < <(echo_servers)
metrics=(msgs_per_s mb_per_s p50_us p99_us p999_us cpu_us_per_msg errors)
echo "echo: servers ${servers[*]}; ${#cases[@]} cases × $BENCH_ROUNDS rounds × ${BENCH_SECONDS}s" >&2

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for case in "${cases[@]}"; do
    IFS=- read -r p c s <<<"$case"
    for server in "${servers[@]}"; do
      log="$BENCH_LOGS/echo-$case-$server-$round.log"
      if ! start_echo_server "$server" "$threads" "$log"; then
        bench_row "$case" "$server" "$round" errors 1
        continue
      fi
      json=$("$ACTNET_BIN/actnet-loadgen" --port "$SERVER_PORT" --threads "$threads" \
        --connections "${c#c}" --size "${s#s}" --pipeline "${p#p}" --duration "$BENCH_SECONDS" \
        --warmup "$warmup" --server-pid "$SERVER_PID" 2>>"$log" | tail -1) || true
      bench_stop "$SERVER_PID"
      if [ -z "$json" ]; then
        echo "echo: $case $server round $round: no result; see $log" >&2
        bench_row "$case" "$server" "$round" errors 1
        continue
      fi
      echo "$json" >>"$log"
      mapfile -t values < <(json_fields "$json" "${metrics[@]}")
      for i in "${!metrics[@]}"; do
        bench_row "$case" "$server" "$round" "${metrics[$i]}" "${values[$i]}"
      done
      printf 'echo: round %d %-16s %-9s %12s msgs/s  p99 %9s us  errors %s\n' \
        "$round" "$case" "$server" "${values[0]}" "${values[3]}" "${values[6]}" >&2
    done
  done
done
bench_report
