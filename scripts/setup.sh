#!/usr/bin/env bash
# Installs what actnet needs from Debian's packages, and nothing else. Idempotent: quiet when
# everything is present; runs `apt-get update` only when something is missing.
set -euo pipefail

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
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

sudo=()
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
