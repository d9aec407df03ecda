// The README's "Deadlines and timers" sample as a whole program: a line-based server whose
// request must arrive within 10 s, whose answer must reach the kernel within 5 s, and whose
// connection is closed 30 s after its answer by a timer on its loop.
// Usage: actnet-example-readme-deadlines [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <actnet/actnet.hpp>

using namespace std::chrono_literals;

namespace {

// A request is one line.
bool head_complete(actnet::Conn& conn) {
  return conn.peek().find('\n') != std::string_view::npos;
}

std::string answer(actnet::Conn& conn) {
  return std::string("you sent ").append(std::to_string(conn.next().size())).append(" bytes\n");
}

}  // namespace

struct Server final : actnet::EventHandler {
  // doc:begin handler
  actnet::Action on_open(actnet::Conn& conn) override {
    conn.set_read_deadline(10s);  // the request must be in within 10 s, however it trickles
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (!head_complete(conn)) return actnet::Action::none;  // wait for the rest
    conn.set_read_deadline({});                             // met: clear it
    conn.set_write_deadline(5s);  // what we write must reach the kernel within 5 s
    conn.write(answer(conn));
    auto loop = conn.loop_handle();  // a timer on this connection's loop, no message
    auto timer = loop.schedule(30s, [ref = conn.ref()] { (void)ref.close(); });
    return actnet::Action::none;  // timer.cancel() from any thread stops it
  }
  // doc:end handler
};

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Server server;
  const actnet::io::Status status = actnet::run(server, "tcp://127.0.0.1:" + port,
                                                {.num_event_loops = 2, .handle_signals = true});
  if (!status) std::fprintf(stderr, "readme-deadlines: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
