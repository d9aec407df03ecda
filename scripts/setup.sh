#!/usr/bin/env bash
# Installs what actnet needs from Debian's packages, then the chat tests' npm packages
# (tests/chat/node, pinned by its package-lock.json) from the npm registry, and nothing else.
# Idempotent: quiet when everything is present; runs `apt-get update` only when something is
# missing, and `npm ci` only when node_modules is missing or older than package-lock.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # libraries actnet builds against
  libconcurrentqueue-dev libboost-dev catch2 libspdlog-dev libfmt-dev
  # clang 14 and libFuzzer for the fuzz targets
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  # real clients and servers the proxy's integration test drives (tests/actors/proxy_tools_test.cpp)
  redis-server redis-tools curl nginx
  # HTTP load generator the http demo's test drives with pipelining (tests/http/http_tools_test.cpp)
  wrk
  # the API reference from the public headers (docs/Doxyfile; a ctest test, label docs)
  doxygen
  # the chat demo's end-to-end tests: Node.js clients and a headless browser
  nodejs chromium
  # peer servers of the benchmarks (benchmarks/peers), the report and its chart (and scripts/soak.sh's plot)
  libuv1-dev libevent-dev python3 gnuplot-nox
  # counting the echo path's cost: syscalls per message (perf stat, strace -c), instructions
  # per message (valgrind --tool=callgrind)
  linux-perf strace valgrind
)
# Debian's npm is a separate package, but NodeSource's nodejs ships npm itself and conflicts
# with Debian's; ask for the package only when there is no npm command.
command -v npm >/dev/null 2>&1 || packages+=(npm)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

install_missing() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "setup.sh: missing packages: ${missing[*]}" >&2
      echo "setup.sh: not root and no sudo; install them with: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi

  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get update -qq >/dev/null; then
    echo "setup.sh: 'apt-get update' failed; check the Debian mirror configuration" >&2
    exit 1
  fi
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/actnet-setup.log 2>&1; then
    tail -20 /tmp/actnet-setup.log >&2
    echo "setup.sh: could not install: ${missing[*]} (full log: /tmp/actnet-setup.log)" >&2
    exit 1
  fi
}

((${#missing[@]} == 0)) || install_missing

# npm packages of the chat tests: `npm ci` installs exactly what package-lock.json pins.
node_dir="$root/tests/chat/node"
stamp="$node_dir/node_modules/.package-lock.json"
if [ -f "$node_dir/package-lock.json" ] && { [ ! -f "$stamp" ] || [ "$node_dir/package-lock.json" -nt "$stamp" ]; }; then
  echo "setup.sh: npm ci in tests/chat/node" >&2
  if ! npm ci --prefix "$node_dir" --no-audit --no-fund >/tmp/actnet-setup-npm.log 2>&1; then
    tail -20 /tmp/actnet-setup-npm.log >&2
    echo "setup.sh: 'npm ci' failed in $node_dir (full log: /tmp/actnet-setup-npm.log);" \
      "is the npm registry reachable?" >&2
    exit 1
  fi
fi
