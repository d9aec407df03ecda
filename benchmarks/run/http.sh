#!/usr/bin/env bash
# HTTP mode of scripts/bench.sh: actnet-http (2 loops) against nginx (2 workers), both
# answering GET /plaintext with the 13-byte "Hello, World!" as text/plain, driven by wrk
# (2 threads) over 127.0.0.1. Cases: 100 and 1000 connections, each without pipelining and
# pipelined by 16 (one write carries 16 requests). Each round runs every case against both
# servers, the order flipping every round; each run gets a fresh server and a short warm-up.
#
#   benchmarks/run/http.sh        (BENCH_ROUNDS=3, BENCH_SECONDS=5, BENCH_WARMUP=1)
#
# Writes benchmarks/results/http.csv (mode,case,server,round,metric,value) with metrics
# rps, p50_us, p99_us (latency of a request, or of a batch of 16 when pipelined) and errors
# (socket errors + answers with status >= 400), and cpu_us_per_req: the server's CPU time
# (user + system, all its threads or processes) during the run per request answered, which
# a busy machine disturbs far less than requests/s.
set -euo pipefail
source "$(dirname "$0")/proto_common.sh"

BENCH_WARMUP=${BENCH_WARMUP:-1}
need wrk nginx python3 "$bench_bin/actnet-http"
script="$proto_root/benchmarks/run/http_wrk.lua"
path=/plaintext
cases=(pipe1-c100 pipe1-c1000 pipe16-c100 pipe16-c1000)

# nginx_conf DIR PORT: a configuration that keeps every file in DIR and runs as this user.
nginx_conf() {
  local dir=$1 port=$2 user_line=""
  # Started as root, nginx would switch its workers to 'nobody'; keep the current user.
  [ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 2;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  # Measure the steady state: by default nginx closes a connection after 1000 requests.
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type text/plain;
      return 200 "Hello, World!";
    }
  }
}
EOF
}

# start_server NAME PORT: starts actnet or nginx on 127.0.0.1:PORT; pid in $started.
start_server() {
  local name=$1 port=$2 dir="$proto_tmp/$1"
  mkdir -p "$dir"
  case "$name" in
    actnet)
      start "$dir/out.log" "$bench_bin/actnet-http" --addr "tcp://127.0.0.1:$port" --loops 2 ;;
    nginx)
      nginx_conf "$dir" "$port"
      start "$dir/out.log" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ;;
  esac
  wait_port "$port" "$started" || { cat "$dir/out.log" "$dir/error.log" 2>/dev/null >&2; exit 1; }
}

# check_answer PORT: the server answers /plaintext with 200 and the 13-byte body.
check_answer() {
  local answer
  answer=$(python3 - "$1" "$path" <<'EOF'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("GET", sys.argv[2])
r = c.getresponse()
print(r.status, r.getheader("Content-Type"), r.read().decode())
EOF
  )
  if [ "$answer" != "200 text/plain Hello, World!" ]; then
    echo "bench: unexpected answer to GET $path: $answer" >&2
    exit 1
  fi
}

# run_wrk CASE PORT SECONDS: prints the wrk-result line.
run_wrk() {
  local pipe=${1%%-*} conns=${1##*-c}
  WRK_PIPELINE=${pipe#pipe} wrk -t2 -c"$conns" -d"${3}s" -s "$script" "http://127.0.0.1:$2$path" |
    grep '^wrk-result' || { echo "bench: wrk gave no result" >&2; exit 1; }
}

csv_open http
echo "bench http: $BENCH_ROUNDS rounds of ${BENCH_SECONDS}s runs, cases ${cases[*]}" >&2
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  for c in "${cases[@]}"; do
    for server in $(servers_for_round "$round" actnet nginx); do
      port=$(free_port)
      start_server "$server" "$port"
      check_answer "$port"
      ((BENCH_WARMUP == 0)) || run_wrk "$c" "$port" "$BENCH_WARMUP" >/dev/null
      ticks=$(cpu_ticks "$started")
      line=$(run_wrk "$c" "$port" "$BENCH_SECONDS")
      ticks=$(($(cpu_ticks "$started") - ticks))
      stop "$started"
      declare -A f=()
      for kv in ${line#wrk-result }; do f[${kv%%=*}]=${kv#*=}; done
      rps=$(python3 -c "print(round(${f[requests]} / ${f[seconds]}))")
      row "$c" "$server" "$round" rps "$rps"
      row "$c" "$server" "$round" p50_us "${f[p50_us]}"
      row "$c" "$server" "$round" p99_us "${f[p99_us]}"
      row "$c" "$server" "$round" errors "$((f[errors] + f[non2xx]))"
      row "$c" "$server" "$round" cpu_us_per_req "$(cpu_us_per_op "$ticks" "${f[requests]}")"
      echo "bench http: round $round $c $server rps=$rps p99_us=${f[p99_us]} errors=$((f[errors] + f[non2xx]))" >&2
      unset f
    done
  done
done
report
