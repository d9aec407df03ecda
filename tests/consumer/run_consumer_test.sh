#!/usr/bin/env bash
# The consumer test: tests/consumer/echo.cpp built against actnet the three ways a user can,
# each binary then run and sent bytes that must come back.
#
#   run_consumer_test.sh BUILD_DIR SOURCE_DIR TEMP_DIR
#
# static: `cmake --install BUILD_DIR` (the suite's own static build, nothing recompiled) into
#         a prefix, then find_package(actnet CONFIG) and `pkg-config --cflags --libs actnet`.
# shared: tests/consumer configured with add_subdirectory(SOURCE_DIR) and BUILD_SHARED_LIBS=ON
#         builds actnet's libraries once; that build is the add_subdirectory consumer, and its
#         `cmake --install` is the shared prefix for find_package and pkg-config. The shared
#         libraries must export the public API and hide actnet's internals and Boost's.
# Everything lives under a fresh directory in TEMP_DIR, removed on exit even on failure.
set -euo pipefail
build_dir=$(cd "$1" && pwd) source_dir=$(cd "$2" && pwd)
mkdir -p "$3"
work=$(mktemp -d "$(cd "$3" && pwd)/run.XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ]; then kill -KILL "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

consumer="$source_dir/tests/consumer"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
jobs=$(nproc 2>/dev/null || echo 2)
step() { echo "== consumer: $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# run_echo NAME BINARY: starts BINARY on a free loopback port, sends a line, expects it back,
# then stops it with SIGTERM and expects a clean exit.
run_echo() {
  local name=$1 binary=$2 attempt port reply status message="hello from the $1 consumer"
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    # Something answers there already: another port (a reuse_port listener could share it).
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    "$binary" "$port" &
    server=$!
    for _ in $(seq 100); do  # up to 10 s for the listener
      if ! kill -0 "$server" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
      sleep 0.1
    done
    if kill -0 "$server" 2>/dev/null; then break; fi
    wait "$server" || true  # the port was taken: try another
    server=""
  done
  [ -n "$server" ] || fail "$name: the echo server never started"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s\n' "$message" >&3
  IFS= read -r -t 10 reply <&3 || fail "$name: no echo within 10 s"
  exec 3>&-
  [ "$reply" = "$message" ] || fail "$name: sent '$message', got '$reply'"
  kill -TERM "$server"
  status=0
  timeout 10 tail --pid="$server" -f /dev/null || fail "$name: still running 10 s after SIGTERM"
  wait "$server" || status=$?
  server=""
  [ "$status" = 0 ] || fail "$name: exited with $status after SIGTERM"
  echo "$name: echoed and stopped cleanly"
}

# find_package_consumer NAME PREFIX
find_package_consumer() {
  step "$1: find_package(actnet CONFIG REQUIRED) with CMAKE_PREFIX_PATH=$2"
  cmake -S "$consumer" -B "$work/$1" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$2" >/dev/null
  cmake --build "$work/$1" -j "$jobs" >/dev/null
  run_echo "$1" "$work/$1/consumer-echo"
}

# pkg_config_consumer NAME PREFIX
pkg_config_consumer() {
  local pc flags
  pc=$(dirname "$(find "$2" -name actnet.pc | head -n 1)")
  [ -f "$pc/actnet.pc" ] || fail "$1: no actnet.pc under $2"
  step "$1: c++ \$(pkg-config --cflags --libs actnet) with PKG_CONFIG_PATH=$pc"
  flags=$(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs actnet)
  # shellcheck disable=SC2086  # the flags are words
  c++ -std=c++20 -O1 "$consumer/echo.cpp" -o "$work/$1-echo" $flags \
    -Wl,-rpath,"$(PKG_CONFIG_PATH="$pc" pkg-config --variable=libdir actnet)"
  run_echo "$1" "$work/$1-echo"
}

step "static: cmake --install $build_dir"
cmake --install "$build_dir" --prefix "$work/static" >/dev/null
[ -z "$(find "$work/static" -name '*.so*')" ] || fail "the static install holds a shared library"
[ -z "$(find "$work/static/include" -path '*/src/*' -o -name 'event_loop.hpp')" ] ||
  fail "a private header was installed"
find_package_consumer static-find-package "$work/static"
pkg_config_consumer static-pkg-config "$work/static"

step "shared: add_subdirectory($source_dir) with BUILD_SHARED_LIBS=ON"
cmake -S "$consumer" -B "$work/shared-add-subdirectory" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DACTNET_SOURCE_DIR="$source_dir" -DBUILD_SHARED_LIBS=ON \
  -DACTNET_INSTALL=ON >/dev/null
cmake --build "$work/shared-add-subdirectory" -j "$jobs" >/dev/null
for dir in tests demos benchmarks; do
  [ ! -e "$work/shared-add-subdirectory/actnet-build/$dir" ] ||
    fail "add_subdirectory built actnet's $dir"
done
run_echo shared-add-subdirectory "$work/shared-add-subdirectory/consumer-echo"

step "shared: cmake --install of that build"
cmake --install "$work/shared-add-subdirectory" --prefix "$work/shared" >/dev/null
actors_so=$(find "$work/shared" -name 'libactnet_actors.so.*.*.*' | head -n 1)
[ -n "$actors_so" ] || fail "no libactnet_actors.so.X.Y.Z in the shared install"
exported=$(nm -D --defined-only -C "$(dirname "$actors_so")"/libactnet_*.so)
for symbol in 'actnet::run(' 'actnet::Conn::write(' 'actnet::version()' \
  'actnet::ConnRef::async_write(' 'actnet::io::parse_endpoint(' 'actnet::WorkerPool::'; do
  grep -qF "$symbol" <<<"$exported" || fail "the shared libraries do not export $symbol"
done
for symbol in 'actnet::detail::EventLoop::' 'actnet::detail::Supervisor::' 'boost::'; do
  ! grep -qF "$symbol" <<<"$exported" || fail "the shared libraries export $symbol"
done
echo "shared libraries export the public API, not actnet::detail or Boost"
find_package_consumer shared-find-package "$work/shared"
pkg_config_consumer shared-pkg-config "$work/shared"
echo "consumer: all ways passed"
