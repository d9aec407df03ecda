// actnet-chat: a chat room in the browser. Serves a page at / and a WebSocket endpoint at
// /ws on the same port; everyone connected is in one room (chat_server.hpp, room.hpp).
//
//   actnet-chat [--addr URL] [--loops N] [--log-level L]      (URL: tcp://127.0.0.1:8080)
//
// Prints "actnet-chat: serving http://ADDRESS/" once listening (with the real port, so
// tcp://127.0.0.1:0 works) and stops gracefully (exit 0) on SIGINT or SIGTERM.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <actnet/actnet.hpp>

#include "chat_server.hpp"

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-chat: %s\n"
               "usage: actnet-chat [--addr URL] [--loops N] [--log-level L]\n"
               "  --addr defaults to tcp://127.0.0.1:8080 (tcp://127.0.0.1:0 picks a free port)\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "tcp://127.0.0.1:8080";
  // A member that stops reading is cut off at 8 MiB of unsent events instead of holding
  // memory for the room's whole history (the default hard limit is 64 MiB).
  actnet::Options options{.write_hard_limit = 8 * 1024 * 1024, .handle_signals = true};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (arg == "--addr") {
      address = value();
    } else if (arg == "--loops") {
      options.num_event_loops = std::strtoul(std::string(value()).c_str(), nullptr, 10);
      if (options.num_event_loops == 0) usage("--loops takes a positive number");
    } else if (arg == "--log-level") {
      options.log_level = spdlog::level::from_str(std::string(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("the chat server");
    } else {
      usage(("unknown argument " + std::string(arg)).c_str());
    }
  }

  chat::ChatServer server(/*announce=*/true);
  const actnet::io::Status outcome = actnet::run(server, address, options);
  if (!outcome) {
    std::fprintf(stderr, "actnet-chat: %s\n", outcome.error().message.c_str());
    return 1;
  }
  return 0;
}
