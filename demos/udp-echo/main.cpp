// actnet-udp-echo: the UDP echo server. Every datagram comes back to its sender, whole.
//
//   actnet-udp-echo --addr udp://HOST:PORT [--addr URL...] [--loops N] [--log-level L]
//
// Each loop reads its own SO_REUSEPORT socket in batches (recvmmsg) and replies in batches
// (sendmmsg). Stops gracefully (exit 0) on SIGINT or SIGTERM. Try it with
//   socat - UDP:127.0.0.1:9001
// or `nc -u 127.0.0.1 9001`.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

namespace {

class UdpEcho final : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {
    for (const auto& address : engine.listen_addresses()) {
      std::printf("actnet-udp-echo listening on %s\n", address.to_string().c_str());
    }
    std::fflush(stdout);
    return actnet::Action::none;
  }

  // One call per datagram; the reply goes to its sender.
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-udp-echo: %s\n"
               "usage: actnet-udp-echo --addr udp://HOST:PORT [--addr URL...] [--loops N]\n"
               "                       [--log-level L]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> addresses;
  actnet::Options options{.handle_signals = true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (arg == "--addr") {
      addresses.emplace_back(value());
    } else if (arg == "--loops") {
      options.num_event_loops = std::strtoul(std::string(value()).c_str(), nullptr, 10);
      if (options.num_event_loops == 0) usage("--loops takes a positive number");
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("the UDP echo server");
    } else {
      usage(("unknown argument " + std::string(arg)).c_str());
    }
  }
  if (addresses.empty()) addresses.emplace_back("udp://127.0.0.1:9001");

  UdpEcho echo;
  const actnet::io::Status outcome = actnet::rotate(echo, addresses, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-udp-echo: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
