// Time in actnet today: an idle timeout per connection, a goodbye that is delivered before
// the close (close_after_flush with a deadline), and the engine-wide ticker (on_tick).
// A client that says nothing for a second is closed; "quit" gets "bye" and a clean close.
// Usage: actnet-example-timers [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <chrono>
#include <cstdio>
#include <string>

#include <actnet/actnet.hpp>

using namespace std::chrono_literals;

// doc:begin handler
class Timers final : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {  // the supervisor thread
    engine_ = engine;
    return actnet::Action::none;
  }

  actnet::Action on_open(actnet::Conn& conn) override {
    conn.set_idle_timeout(1s);  // this connection only; Options::idle_timeout sets the default
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {  // every read re-arms the timeout
    const std::string_view line = conn.peek();
    if (line.starts_with("quit\n")) {
      conn.discard();
      conn.write("bye\n");
      // Stop reading, deliver "bye" (and anything queued before it), send FIN, close; give
      // up with Errc::timed_out if the client does not take the bytes within 2 s.
      conn.close_after_flush(2s);
    } else if (line.find('\n') != std::string_view::npos) {
      conn.write(conn.next());
    }
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override {
    if (error == actnet::Errc::timed_out)
      std::printf("closed idle %s\n", conn.remote_address().to_string().c_str());
    return actnet::Action::none;
  }

  // The supervisor thread, concurrently with the loops: reach connections only through refs
  // (or, as here, through the Engine's thread-safe calls).
  actnet::Tick on_tick() override {
    std::printf("%zu connections\n", engine_.count_connections());
    std::fflush(stdout);
    return {.delay = 5s};
  }

 private:
  actnet::Engine engine_;  // on_boot and on_tick both run on the supervisor thread
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Timers timers;
  const actnet::io::Status status =
      actnet::run(timers, "tcp://127.0.0.1:" + port, {.ticker = true, .handle_signals = true});
  if (!status) std::fprintf(stderr, "timers: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
