// actnet-proxy: a TCP (and unix) reverse proxy. Each accepted connection gets its own
// upstream connection, dialled round robin over the --upstream list; bytes pass both ways
// with backpressure (see proxy_handler.hpp).
//
//   actnet-proxy --listen URL --upstream URL [--upstream URL...] [--loops N] [--log-level L]
//
// Upstream URLs are numeric (tcp://127.0.0.1:9000, tcp6://[::1]:9000, unix:///path) or name
// a host (tcp://localhost:6379): a host name is resolved once, here, before the engine starts,
// because the event loops that dial never wait for a lookup. Its addresses are tried in
// order for each connection; a change in DNS needs a restart.
// Stops gracefully (exit 0) on SIGINT or SIGTERM.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>
#include <actnet/io/resolve.hpp>

#include "proxy_handler.hpp"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-proxy: %s\n"
               "usage: actnet-proxy --listen URL --upstream URL [--upstream URL...] [--loops N]\n"
               "                    [--log-level L]\n",
               why);
  std::exit(2);
}

// The upstream's numeric URLs: `url` itself, or the addresses its host name resolves to.
actnet::Result<proxy::ProxyHandler::Alternatives> numeric(const std::string& url) {
  auto endpoint = actnet::io::parse_endpoint(url);
  if (!endpoint) return endpoint.error();
  if (endpoint->host_kind() != actnet::io::HostKind::name)
    return proxy::ProxyHandler::Alternatives{url};
  auto addresses = actnet::io::resolve(*endpoint, actnet::io::ResolveFor::connect);
  if (!addresses) return addresses.error();
  proxy::ProxyHandler::Alternatives out;
  for (const actnet::io::SocketAddress& address : *addresses)
    out.push_back(std::string(actnet::io::network_name(endpoint->network)) + "://" +
                  address.to_string());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  std::vector<std::string> upstreams;
  actnet::Options options{.handle_signals = true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (arg == "--listen") {
      listen = value();
    } else if (arg == "--upstream") {
      upstreams.emplace_back(value());
    } else if (arg == "--loops") {
      options.num_event_loops = std::strtoul(std::string(value()).c_str(), nullptr, 10);
      if (options.num_event_loops == 0) usage("--loops takes a positive number");
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("the reverse proxy");
    } else {
      usage(("unknown argument " + std::string(arg)).c_str());
    }
  }
  if (listen.empty()) usage("--listen is required");
  if (upstreams.empty()) usage("at least one --upstream is required");

  std::vector<proxy::ProxyHandler::Alternatives> resolved;
  for (const std::string& url : upstreams) {
    auto addresses = numeric(url);
    if (!addresses) {
      std::fprintf(stderr, "actnet-proxy: upstream %s: %s\n", url.c_str(),
                   addresses.error().message.c_str());
      return 1;
    }
    resolved.push_back(std::move(*addresses));
  }
  proxy::ProxyHandler handler(std::move(resolved));
  const actnet::io::Status outcome = actnet::run(handler, listen, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-proxy: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
