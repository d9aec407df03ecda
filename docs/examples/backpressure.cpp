// Backpressure: a server that streams as many bytes as a client asks for ("N\n": N MiB) and
// produces only while the client keeps up. It never holds more than about write_high_water
// bytes for a connection, however slowly the client reads.
// Usage: actnet-example-backpressure [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <actnet/actnet.hpp>

// doc:begin handler
class Stream final : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {  // the connection's loop
    State* state = conn.context<State>();
    if (state == nullptr) state = &conn.emplace_context<State>();
    const std::string_view request = conn.peek();
    if (const std::size_t end = request.find('\n'); end != std::string_view::npos) {
      state->remaining += std::strtoull(std::string(request.substr(0, end)).c_str(), nullptr, 10)
                          << 20;
      conn.discard(end + 1);
    }
    produce(conn, *state);  // also how a wake() from on_backpressure lands here
    return actnet::Action::none;
  }

  // Outbound bytes passed write_high_water (paused: reading from this client stops too), or
  // fell back to write_low_water (resumed).
  void on_backpressure(actnet::Conn& conn, bool paused) override {
    conn.context<State>()->paused = paused;
    // Go on producing in on_traffic, through the mailbox, rather than writing from inside
    // this callback.
    if (!paused) conn.ref().wake();
  }

 private:
  struct State {
    std::uint64_t remaining = 0;
    bool paused = false;
  };

  static void produce(actnet::Conn& conn, State& state) {
    static const std::string chunk(64 * 1024, 'x');
    // A write can cross write_high_water: on_backpressure(true) runs inside it.
    while (state.remaining > 0 && !state.paused && conn.is_open()) {
      const std::size_t n = std::min<std::uint64_t>(state.remaining, chunk.size());
      conn.write(std::string_view(chunk).substr(0, n));
      state.remaining -= n;
    }
  }
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Stream stream;
  // doc:begin options
  const actnet::Options options{
      .write_high_water = 1024 * 1024,       // pause reading, on_backpressure(true)
      .write_low_water = 256 * 1024,         // resume, on_backpressure(false)
      .write_hard_limit = 16 * 1024 * 1024,  // a client past this is closed
      .handle_signals = true,
  };
  // doc:end options
  const actnet::io::Status status = actnet::run(stream, "tcp://127.0.0.1:" + port, options);
  if (!status) std::fprintf(stderr, "backpressure: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
