#!/usr/bin/env bash
# Soak: runs the echo, http, redis and chat demos under a mixed client load for MINUTES
# (actnet-soak-load: connects and disconnects, pipelined bursts, slow readers, resets with
# SO_LINGER 0, every byte checked) while sampling each server's RSS, open fds and threads
# once a second into build/soak/soak.csv, plotted into build/soak/soak.png (gnuplot).
# It fails when a client saw a wrong byte or lost a connection, when a server died or did not
# stop cleanly on SIGTERM, or when a series trends up after warm-up: after the warm-up
# (a quarter of the run, at most 5 minutes) the last quarter's peak may exceed the first
# quarter's peak by at most 10% plus a small allowance (RSS 4 MiB, fds 16, threads 1).
#   scripts/soak.sh [MINUTES]    (default 2)
# It builds the Release binaries in build/; ACTNET_SOAK_BIN=DIR uses those in DIR instead.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-2}
seconds=$((minutes * 60))
out="$root/build/soak"
bin="${ACTNET_SOAK_BIN:-$root/build/bin}"

mkdir -p "$root/build"
[ "${ACTNET_SKIP_SETUP:-0}" = 1 ] || "$root/scripts/setup.sh" || exit 1
if [ -z "${ACTNET_SOAK_BIN:-}" ] && ! ACTNET_SKIP_SETUP=1 "$root/scripts/build.sh" --target actnet-echo --target actnet-http \
  --target actnet-redis --target actnet-chat --target actnet-soak-load >"$out.log" 2>&1; then
  tail -30 "$out.log"
  echo "soak.sh: build failed"
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"

names=(echo http redis chat)
declare -A pid port
cleanup() {
  for n in "${names[@]}"; do
    [ -n "${pid[$n]:-}" ] && kill -KILL "${pid[$n]}" 2>/dev/null
  done
  [ -n "${load_pid:-}" ] && kill -KILL "$load_pid" 2>/dev/null
}
trap cleanup EXIT

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts demo $1 on a free loopback port (a random one; another is tried if it was taken).
start() {
  local n=$1 p try
  for try in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 40000))
    accepts "$p" && continue
    "$bin/actnet-$n" --addr "tcp://127.0.0.1:$p" >"$out/$n.log" 2>&1 &
    pid[$n]=$!
    for _ in $(seq 100); do
      if accepts "$p"; then
        port[$n]=$p
        return 0
      fi
      kill -0 "${pid[$n]}" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "${pid[$n]}" 2>/dev/null
    wait "${pid[$n]}" 2>/dev/null
  done
  echo "soak.sh: actnet-$n did not start; its log:"
  cat "$out/$n.log"
  exit 1
}
for n in "${names[@]}"; do start "$n"; done
echo "soak: echo :${port[echo]}, http :${port[http]}, redis :${port[redis]}, chat :${port[chat]} for $minutes min"

"$bin/actnet-soak-load" --echo "${port[echo]}" --http "${port[http]}" --redis "${port[redis]}" \
  --chat "${port[chat]}" --seconds "$seconds" >"$out/load.log" 2>&1 &
load_pid=$!

header=t
for n in "${names[@]}"; do header+=",${n}_rss_kb,${n}_fds,${n}_threads"; done
echo "$header" >"$out/soak.csv"
status=0
start_time=$(date +%s)
t=0
while kill -0 "$load_pid" 2>/dev/null; do
  row=$t
  for n in "${names[@]}"; do
    p=${pid[$n]}
    if ! [ -r "/proc/$p/status" ]; then
      echo "soak.sh: actnet-$n (pid $p) died at ${t} s"
      status=1
      break 2
    fi
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$p/status")
    fds=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    row+=",$rss,$fds,$threads"
  done
  echo "$row" >>"$out/soak.csv"
  t=$((t + 1))
  # Keep the samples on the second even when a sample itself is slow.
  sleep_for=$((start_time + t - $(date +%s)))
  ((sleep_for > 0)) && sleep "$sleep_for"
done
wait "$load_pid"
load_status=$?
load_pid=
cat "$out/load.log"
((load_status == 0)) || { echo "soak.sh: the clients saw wrong bytes or lost connections"; status=1; }

for n in "${names[@]}"; do
  kill -TERM "${pid[$n]}" 2>/dev/null
done
for n in "${names[@]}"; do
  for _ in $(seq 100); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "${pid[$n]}" 2>/dev/null; then
    echo "soak.sh: actnet-$n did not stop within 10 s of SIGTERM"
    status=1
  elif ! wait "${pid[$n]}"; then
    echo "soak.sh: actnet-$n exited with an error after SIGTERM; its log:"
    tail -20 "$out/$n.log"
    status=1
  fi
  pid[$n]=
done

# Per series: start, end, min, max, slope (per minute) after warm-up, and the trend check.
awk -F, -v out="$out/summary.txt" '
NR == 1 { for (i = 2; i <= NF; ++i) name[i] = $i; cols = NF; next }
{ ++n; for (i = 1; i <= cols; ++i) v[n, i] = $i }
END {
  warm = int(n / 4); if (warm > 300) warm = 300
  m = n - warm; q = int(m / 4); if (q < 1) q = 1
  fail = 0
  printf "%-18s %9s %9s %9s %9s %12s %9s %9s  %s\n", "series", "start", "end", "min", "max",
         "slope/min", "q1max", "q4max", "verdict" > out
  for (i = 2; i <= cols; ++i) {
    mn = v[1, i]; mx = v[1, i]
    for (k = 1; k <= n; ++k) { if (v[k, i] < mn) mn = v[k, i]; if (v[k, i] > mx) mx = v[k, i] }
    sx = sy = sxx = sxy = 0
    for (k = warm + 1; k <= n; ++k) { x = v[k, 1]; y = v[k, i]; sx += x; sy += y; sxx += x * x; sxy += x * y }
    d = m * sxx - sx * sx; slope = d > 0 ? (m * sxy - sx * sy) / d * 60 : 0
    q1 = q4 = 0
    for (k = warm + 1; k <= warm + q; ++k) if (v[k, i] > q1) q1 = v[k, i]
    for (k = n - q + 1; k <= n; ++k) if (v[k, i] > q4) q4 = v[k, i]
    allow = name[i] ~ /rss/ ? 4096 : name[i] ~ /fds/ ? 16 : 1
    verdict = q4 > q1 * 1.10 + allow ? "TRENDS UP" : "flat"
    if (verdict != "flat") fail = 1
    printf "%-18s %9d %9d %9d %9d %12.2f %9d %9d  %s\n", name[i], v[1, i], v[n, i], mn, mx,
           slope, q1, q4, verdict > out
  }
  printf "%d samples, warm-up %d s; slope by least squares after warm-up\n", n, warm > out
  exit fail
}' "$out/soak.csv"
trend_status=$?
cat "$out/summary.txt"
((trend_status == 0)) || { echo "soak.sh: a series trends up after warm-up"; status=1; }

gnuplot <<PLOT 2>"$out/gnuplot.log" || echo "soak.sh: gnuplot failed (see $out/gnuplot.log)"
set terminal pngcairo size 1200,900 noenhanced
set output "$out/soak.png"
set datafile separator ","
set key outside right
set multiplot layout 3,1 title "actnet soak, ${minutes} min: one sample per second"
set ylabel "RSS (MiB)"
plot for [s=0:3] "$out/soak.csv" using 1:(column(2 + 3 * s) / 1024.0) with lines title word("echo http redis chat", s + 1)
set ylabel "open fds"
plot for [s=0:3] "$out/soak.csv" using 1:(column(3 + 3 * s)) with lines title word("echo http redis chat", s + 1)
set ylabel "threads"
set xlabel "seconds"
plot for [s=0:3] "$out/soak.csv" using 1:(column(4 + 3 * s)) with lines title word("echo http redis chat", s + 1)
unset multiplot
PLOT
[ -f "$out/soak.png" ] && echo "soak: plot in $out/soak.png, samples in $out/soak.csv"
((status == 0)) && echo "soak: PASSED" || echo "soak: FAILED"
exit $status
