// Per-connection deadlines and user timers: a line server that gives each request 1 s to
// arrive however slowly it trickles (a read deadline, not an idle timeout), bounds how long
// its answer may wait for the peer (a write deadline), answers "later" 200 ms later from a
// timer on the connection's loop, and prints the connection count every 5 s from an engine
// timer.
// Usage: actnet-example-deadlines [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <chrono>
#include <cstdio>
#include <string>

#include <actnet/actnet.hpp>

using namespace std::chrono_literals;

// doc:begin handler
class Deadlines final : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {  // the supervisor thread
    // A periodic timer on one of the loops (round robin); it ends with the engine's stop.
    engine.every(5s, [engine] {
      std::printf("%zu connections\n", engine.count_connections());
      std::fflush(stdout);
    });
    return actnet::Action::none;
  }

  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<actnet::TimerHandle>();  // the pending "later" reply, if any
    // The first line must be complete within 1 s. Unlike an idle timeout, bytes arriving
    // do not push it back: a client sending a byte a second is closed all the same.
    conn.set_read_deadline(1s);
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {  // the loop's thread
    for (std::size_t end; (end = conn.peek().find('\n')) != std::string_view::npos;) {
      const std::string line(conn.next(end + 1));
      conn.set_read_deadline(10s);  // a line arrived: the next one gets 10 s
      conn.set_write_deadline(5s);  // what is written now must reach the kernel within 5 s
      if (line == "later\n") {
        // A one-shot timer on this connection's loop: no message, no syscall. It reaches
        // the connection through its ref, which fails cleanly if it has closed since.
        *conn.context<actnet::TimerHandle>() =
            conn.loop_handle().schedule(200ms, [ref = conn.ref()] { ref.async_write("later\n"); });
      } else {
        conn.write(line);
      }
    }
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override {
    if (auto* timer = conn.context<actnet::TimerHandle>()) timer->cancel();  // false if it ran
    if (error == actnet::Errc::timed_out)
      std::printf("deadline passed: closed %s\n", conn.remote_address().to_string().c_str());
    return actnet::Action::none;
  }
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Deadlines deadlines;
  const actnet::io::Status status =
      actnet::run(deadlines, "tcp://127.0.0.1:" + port, {.handle_signals = true});
  if (!status) std::fprintf(stderr, "deadlines: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
