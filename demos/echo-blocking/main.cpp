// actnet-echo-blocking: a line echo server whose every line costs a blocking job (10 ms by
// default) on the engine's worker pool; the echo comes back through the loop. "PING" is
// answered at once, however many jobs are queued.
//
//   actnet-echo-blocking [--addr URL] [--loops N] [--workers N] [--job-ms MS] [--log-level L]
//
// Try: printf 'hello\nPING\n' | nc 127.0.0.1 9001   (PONG comes back first)
// Stops gracefully (exit 0) on SIGINT or SIGTERM.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <actnet/actnet.hpp>

#include "blocking_echo.hpp"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-echo-blocking: %s\n"
               "usage: actnet-echo-blocking [--addr URL] [--loops N] [--workers N] [--job-ms MS]\n"
               "                            [--log-level L]\n",
               why);
  std::exit(2);
}

std::size_t positive(std::string_view text, const char* option) {
  char* end = nullptr;
  const std::string s(text);
  const unsigned long n = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n == 0)
    usage((std::string(option) + " takes a positive number").c_str());
  return n;
}

// Prints where it listens once bound, so scripts can use port 0.
class Announcing final : public actnet::EventHandler {
 public:
  explicit Announcing(echo_blocking::BlockingEcho& inner) : inner_(inner) {}
  actnet::Action on_boot(actnet::Engine& engine) override {
    for (const auto& address : engine.listen_addresses())
      std::printf("actnet-echo-blocking listening on %s\n", address.to_string().c_str());
    std::fflush(stdout);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override { return inner_.on_traffic(conn); }

 private:
  echo_blocking::BlockingEcho& inner_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string address = "tcp://127.0.0.1:9001";
  std::chrono::milliseconds job{10};
  actnet::Options options{.handle_signals = true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (arg == "--addr") {
      address = value();
    } else if (arg == "--loops") {
      options.num_event_loops = positive(value(), "--loops");
    } else if (arg == "--workers") {
      options.worker_threads = positive(value(), "--workers");
    } else if (arg == "--job-ms") {
      job = std::chrono::milliseconds(positive(value(), "--job-ms"));
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("a line echo server with a blocking job per line");
    } else {
      usage(("unknown argument " + std::string(arg)).c_str());
    }
  }
  echo_blocking::BlockingEcho echo(job);
  Announcing handler(echo);
  const actnet::io::Status outcome = actnet::run(handler, address, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-echo-blocking: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
