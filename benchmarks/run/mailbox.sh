#!/usr/bin/env bash
# Mailbox mode of scripts/bench.sh: the runtime micro-benchmarks, each round running actnet
# and its baselines back to back in one process.
#  - actnet-bench-mailbox: actnet's Mailbox against a mutex-protected std::deque and a
#    moodycamel queue, each of those writing the eventfd per message (cases light-pN and
#    busy-pN: N producers, a consumer doing nothing or ~150 ns per message);
#  - actnet-bench-async-write: ConnRef::async_write from N producer threads to connections
#    on an engine's 2 loops, against the same kind of loop fed through a mutex-protected
#    std::deque with an eventfd write per message (cases async-write-pN).
#
#   benchmarks/run/mailbox.sh   (BENCH_ROUNDS=3; BENCH_MAILBOX_MESSAGES=2000000 per mailbox
#                                run, BENCH_ASYNC_WRITE_MESSAGES=1000000 per async_write run)
#
# Writes benchmarks/results/mailbox.csv (mode,case,server,round,metric,value); metrics
# msgs_per_s and eventfd_writes_per_1000.
set -euo pipefail
source "$(dirname "$0")/proto_common.sh"

need "$bench_bin/actnet-bench-mailbox" "$bench_bin/actnet-bench-async-write"
csv_open mailbox
echo "bench mailbox: $BENCH_ROUNDS rounds" >&2
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  "$bench_bin/actnet-bench-mailbox" "${BENCH_MAILBOX_MESSAGES:-2000000}" --csv "$round" >>"$proto_csv"
  "$bench_bin/actnet-bench-async-write" --messages "${BENCH_ASYNC_WRITE_MESSAGES:-1000000}" \
    --csv "$round" >>"$proto_csv"
  echo "bench mailbox: round $round done" >&2
done
report
