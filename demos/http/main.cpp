// actnet-http: an HTTP/1.1 server in the TechEmpower style, what the benchmarks measure
// against nginx and others.
//
//   actnet-http --addr URL [--loops N] [--max-body BYTES] [--idle-timeout-ms MS]
//               [--head-timeout MS] [--reuse-port] [--log-level L]
//
//   --head-timeout MS  a request head (line and fields) must be whole MS after its first
//                      byte — the first request's after connecting — or the connection is
//                      closed (slowloris); 0 turns it off. Default 10000.
//
//   GET /plaintext → Hello, World!      GET /json → {"message":"Hello, World!"}
//   POST /echo     → the request body   anything else → 404 (405 for a wrong method)
//
// Prints "actnet-http: serving http://HOST:PORT/" once listening (the real port, so port 0
// works). Stops gracefully (exit 0) on SIGINT or SIGTERM.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

#include "http_server.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "actnet-http: %s\n"
               "usage: actnet-http --addr URL [--addr URL...] [--loops N] [--max-body BYTES]\n"
               "                   [--idle-timeout-ms MS] [--head-timeout MS] [--reuse-port]\n"
               "                   [--log-level L]\n",
               why.c_str());
  std::exit(2);
}

// A whole non-negative decimal number, or usage().
unsigned long long number(std::string_view option, std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end != '\0' || errno != 0) {
    usage(std::string(option).append(" takes a non-negative number, not '").append(s).append("'"));
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> addresses;
  actnet::Options options{.handle_signals = true};
  http::ServerConfig config{.announce = stdout};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(std::string("missing value after ").append(arg));
      return argv[++i];
    };
    if (arg == "--addr") {
      addresses.emplace_back(value());
    } else if (arg == "--loops") {
      options.num_event_loops = number(arg, value());
      if (options.num_event_loops == 0) usage("--loops takes a positive number");
    } else if (arg == "--max-body") {
      config.limits.max_body = number(arg, value());
    } else if (arg == "--idle-timeout-ms") {
      config.idle_timeout = std::chrono::milliseconds(number(arg, value()));
    } else if (arg == "--head-timeout") {
      config.head_timeout = std::chrono::milliseconds(number(arg, value()));
    } else if (arg == "--reuse-port") {
      options.reuse_port = true;
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("the HTTP/1.1 server");
    } else {
      usage(std::string("unknown argument ").append(arg));
    }
  }
  if (addresses.empty()) addresses.emplace_back("tcp://127.0.0.1:8080");
  if (const char* why = config.limits.invalid()) usage(std::string("bad limits: ").append(why));

  http::HttpServer server(config);
  const actnet::io::Status outcome = actnet::rotate(server, addresses, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-http: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
