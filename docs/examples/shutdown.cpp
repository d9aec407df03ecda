// Graceful shutdown: the engine runs on its own thread (start()), and stops when a client
// sends "shutdown", on SIGINT/SIGTERM, or when main() asks. Each way is the same graceful
// stop: listeners close, what was accepted for writing is flushed (up to the deadline),
// every connection closes with on_close, then on_shutdown runs and wait() returns.
// Usage: actnet-example-shutdown [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include <actnet/actnet.hpp>

using namespace std::chrono_literals;

// doc:begin handler
class Service final : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.peek().starts_with("shutdown\n")) {
      conn.discard();
      conn.write("bye\n");  // delivered: the stop flushes before it closes
      return actnet::Action::shutdown;
    }
    conn.write(conn.next());
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::shutting_down) closed_by_stop_.fetch_add(1);
    return actnet::Action::none;
  }

  // The supervisor thread, after every loop stopped and every connection closed.
  void on_shutdown(actnet::Engine&) override {
    std::printf("stopped; %d connections closed by the stop\n", closed_by_stop_.load());
  }

 private:
  std::atomic<int> closed_by_stop_{0};  // on_close runs on every loop
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Service service;
  // doc:begin main
  actnet::Result<actnet::RunningEngine> running =
      actnet::start(service, {"tcp://127.0.0.1:" + port},
                    {.num_event_loops = 2, .stop_timeout = 3s, .handle_signals = true});
  if (!running) {
    std::fprintf(stderr, "shutdown: %s\n", running.error().message.c_str());
    return 1;
  }
  // The engine serves on its own threads; this one may do anything, including stop it:
  //   running->engine().stop(1s);  // any thread, never blocks; flush deadline 1 s
  const actnet::io::Status status = running->wait();  // until one of the stops finished
  // doc:end main
  return status ? 0 : 1;
}
