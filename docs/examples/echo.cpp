// An echo server: every byte a client sends comes back to it.
// Usage: actnet-example-echo [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <cstdio>
#include <string>

#include <actnet/actnet.hpp>

struct Echo final : actnet::EventHandler {
  actnet::Action on_traffic(actnet::Conn& conn) override {  // runs on the connection's loop
    conn.write(conn.next());  // next(): every byte buffered so far, consumed
    return actnet::Action::none;
  }
};

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Echo echo;
  const actnet::io::Status status =
      actnet::run(echo, "tcp://127.0.0.1:" + port, {.num_event_loops = 2, .handle_signals = true});
  if (!status) std::fprintf(stderr, "echo: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
