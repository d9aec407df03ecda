// Blocking work off the loops: each line costs a slow "lookup" (a sleep standing in for a
// database or a legacy library). It runs on the engine's WorkerPool; the answer comes back
// to the connection's loop, which writes it. "PING" is answered at once, on the loop,
// however many lookups are running.
// Usage: actnet-example-offload [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <actnet/actnet.hpp>

// A call that blocks: never on a loop.
std::string slow_lookup(std::string key) {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (char& c : key)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return key;
}

// doc:begin handler
struct Lookup final : actnet::EventHandler {
  actnet::Action on_traffic(actnet::Conn& conn) override {  // the connection's loop
    for (;;) {
      const std::string_view buffered = conn.peek();
      const std::size_t end = buffered.find('\n');
      if (end == std::string_view::npos) return actnet::Action::none;  // wait for the rest
      std::string key(conn.next(end + 1).substr(0, end));
      if (key == "PING") {
        conn.write("PONG\n");  // no blocking involved: answered right here
        continue;
      }
      actnet::offload(
          conn, [key = std::move(key)] { return slow_lookup(key); },  // a worker thread
          [](actnet::Conn* c, actnet::Result<std::string> value) {    // the loop again
            if (c == nullptr) return;  // the client left while the job ran
            c->write(value ? *value + "\n"
                           : std::string("ERR ").append(value.error().message) + "\n");
          });
    }
  }
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Lookup lookup;
  const actnet::Options options{.worker_threads = 8, .handle_signals = true};
  const actnet::io::Status status = actnet::run(lookup, "tcp://127.0.0.1:" + port, options);
  if (!status) std::fprintf(stderr, "offload: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
