// Writing from another thread: each client gets three lines pushed by a thread of its own,
// then the end of the stream. The thread holds only a ConnRef — a handle, not the
// connection — and every call on it is a message to the connection's loop.
// Usage: actnet-example-push [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <actnet/actnet.hpp>

// doc:begin handler
class Push final : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {  // the connection's loop
    // One loop (the default), so only one thread ever touches `pushers_`.
    pushers_.emplace_back([ref = conn.ref()] {  // a thread of its own: only the ref crosses
      // Messages from one thread reach the loop in the order they were sent.
      for (int i = 1; i <= 3; ++i)
        ref.async_write(std::string("line ").append(std::to_string(i)).append("\n"));
      // After the three lines (FIFO), end the stream: the client reads them, then EOF.
      ref.shutdown_write([](std::error_code error) {  // runs on the loop, once
        if (error) std::fprintf(stderr, "push: %s\n", error.message().c_str());
      });
    });
    return actnet::Action::none;
  }

 private:
  std::vector<std::jthread> pushers_;  // joined when the handler is destroyed, after run()
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Push push;
  const actnet::io::Status status =
      actnet::run(push, "tcp://127.0.0.1:" + port, {.handle_signals = true});
  if (!status) std::fprintf(stderr, "push: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
