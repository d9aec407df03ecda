// actnet-echo: the echo server. Every byte a client sends comes back to it.
//
//   actnet-echo --addr URL [--addr URL...] [--loops N] [--reuse-port] [--edge-triggered]
//               [--lb rr|lc|hash] [--log-level L]
//
// Stops gracefully (exit 0) on SIGINT or SIGTERM.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

namespace {

class Echo final : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {
    for (const auto& address : engine.listen_addresses()) {
      std::printf("actnet-echo listening on %s\n", address.to_string().c_str());
    }
    std::fflush(stdout);
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-echo: %s\n"
               "usage: actnet-echo --addr URL [--addr URL...] [--loops N] [--reuse-port]\n"
               "                   [--edge-triggered] [--lb rr|lc|hash] [--log-level L]\n",
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
    } else if (arg == "--reuse-port") {
      options.reuse_port = true;
    } else if (arg == "--edge-triggered") {
      options.edge_triggered = true;
    } else if (arg == "--lb") {
      const std::string_view lb = value();
      if (lb == "rr")
        options.load_balancing = actnet::LoadBalancing::round_robin;
      else if (lb == "lc")
        options.load_balancing = actnet::LoadBalancing::least_connections;
      else if (lb == "hash")
        options.load_balancing = actnet::LoadBalancing::source_address_hash;
      else
        usage("--lb takes rr, lc or hash");
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("the echo server");
    } else {
      usage(("unknown argument " + std::string(arg)).c_str());
    }
  }
  if (addresses.empty()) addresses.emplace_back("tcp://127.0.0.1:9000");

  Echo echo;
  const actnet::io::Status outcome = actnet::rotate(echo, addresses, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-echo: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
