// A UDP echo server: every datagram comes back to its sender, whole. A datagram that starts
// with "later:" is answered from another thread instead, through a DatagramRef.
// Usage: actnet-example-udp-echo [PORT]   (serves udp 127.0.0.1:PORT, 9000 by default)
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <actnet/actnet.hpp>

// doc:begin handler
class UdpEcho final : public actnet::EventHandler {
 public:
  // One call per datagram: the inbound buffer holds exactly that datagram, remote_address()
  // is its sender, and a write() is one datagram back to it.
  actnet::Action on_traffic(actnet::Conn& conn) override {
    const std::string_view datagram = conn.next();
    if (!datagram.starts_with("later:")) {
      conn.write(datagram);
      return actnet::Action::none;
    }
    // The Conn is valid only during this call; a DatagramRef answers later, from anywhere.
    const bool queued =
        workers_.try_submit([ref = conn.datagram_ref(), text = std::string(datagram)] {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // blocking work
          ref.async_send(text);  // a message to the loop, which sends it from the same socket
        }) == actnet::SubmitResult::ok;
    if (!queued) conn.write("busy");
    return actnet::Action::none;
  }

 private:
  actnet::WorkerPool workers_{{.threads = 2, .capacity = 1024}};
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  UdpEcho echo;
  // udp:// binds one SO_REUSEPORT socket per loop; each loop reads its own.
  const actnet::io::Status status =
      actnet::run(echo, "udp://127.0.0.1:" + port, {.num_event_loops = 2, .handle_signals = true});
  if (!status) std::fprintf(stderr, "udp-echo: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
