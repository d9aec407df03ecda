#pragma once
// The server's socket address. Benchmarks stay on this machine, so only numeric loopback
// addresses, "localhost" and Unix paths are accepted. Resolved once, in main().

#include <sys/socket.h>

#include <string>

#include "options.hpp"

namespace loadgen {

struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // for the report, e.g. "127.0.0.1:9000"
};

/// The address to connect to, or an error message in `*error`. Main thread.
bool resolve_target(const Options& options, Target* target, std::string* error);

}  // namespace loadgen
