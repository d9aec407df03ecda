// actnet-redis: a Redis (RESP2) server that redis-cli and redis-benchmark talk to. The
// keyspace is sharded across the event loops, one Shard actor per loop.
//
//   actnet-redis --addr URL [--loops N] [--log-level L]
//
// Prints "actnet-redis: serving redis://HOST:PORT" once listening; stops gracefully (exit 0)
// on SIGINT or SIGTERM.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <actnet/actnet.hpp>

#include "redis_handler.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "actnet-redis: %s\n"
               "usage: actnet-redis --addr URL [--loops N] [--log-level L]\n"
               "       URL like tcp://127.0.0.1:6379 (port 0 picks a free one)\n",
               why.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "tcp://127.0.0.1:6379";
  actnet::Options options{.num_event_loops = 1, .ticker = true, .handle_signals = true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(std::string("missing value after ").append(arg));
      return argv[++i];
    };
    if (arg == "--addr") {
      address = value();
    } else if (arg == "--loops") {
      const std::string n = value();
      char* end = nullptr;
      options.num_event_loops = std::strtoul(n.c_str(), &end, 10);
      if (*end != '\0' || options.num_event_loops == 0 || options.num_event_loops > 256) {
        usage("--loops takes a number from 1 to 256");
      }
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(value());
    } else if (arg == "--help" || arg == "-h") {
      usage("a Redis server on actnet");
    } else {
      usage(std::string("unknown argument ").append(arg));
    }
  }

  redis::RedisHandler handler({.announce = true});
  const actnet::io::Status outcome = actnet::run(handler, address, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-redis: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
