#pragma once
// Running real programs from a test: redis-server, redis-cli, redis-benchmark and the
// actnet-redis binary. Every child is killed and reaped and every temporary directory
// removed however a test ends (RAII); every wait is bounded. A missing program fails the
// test with "run scripts/setup.sh" — it is never skipped. The generic part is
// tests/child_process.hpp; here are the Redis servers.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "child_process.hpp"

namespace redis_tools {

using namespace std::chrono_literals;
using namespace child_process;

// Starts redis-server on a free loopback port, persisting nothing, in `dir`.
inline std::unique_ptr<Child> start_redis_server(const TempDir& dir, int& port) {
  const std::string redis_server = require_program("redis-server");
  return start_server(
      dir, "redis-server",
      [&](int p) {
        return std::vector<std::string>{
            redis_server,   "--port", std::to_string(p), "--bind",   "127.0.0.1",   "--save", "",
            "--appendonly", "no",     "--dir",           dir.path(), "--daemonize", "no"};
      },
      port);
}

// Starts the actnet-redis binary on port 0 and reads the port from its announcement line.
inline std::unique_ptr<Child> start_actnet_redis(const TempDir& dir, const std::string& binary,
                                                 int loops, int& port) {
  write_file(dir / "empty", "");
  auto child =
      std::make_unique<Child>(std::vector<std::string>{binary, "--addr", "tcp://127.0.0.1:0",
                                                       "--loops", std::to_string(loops)},
                              dir / "empty", dir / "actnet-redis.out", dir / "actnet-redis.err");
  const std::string prefix = "actnet-redis: serving redis://127.0.0.1:";
  const auto end = std::chrono::steady_clock::now() + kLimit;
  while (std::chrono::steady_clock::now() < end && child->running()) {
    const std::string out = read_file(dir / "actnet-redis.out");
    const auto at = out.find(prefix);
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      port = std::atoi(out.c_str() + at + prefix.size());
      if (port > 0 && wait_accepting(*child, port)) return child;
    }
    std::this_thread::sleep_for(10ms);
  }
  FAIL("actnet-redis did not announce its port; stderr:\n" << read_file(dir / "actnet-redis.err"));
  return nullptr;
}

}  // namespace redis_tools
