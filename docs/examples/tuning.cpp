// Tuning: the echo server with every knob of the tuning guide set explicitly.
// Usage: actnet-example-tuning [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <chrono>
#include <cstdio>
#include <string>

#include <actnet/actnet.hpp>

struct Echo final : actnet::EventHandler {
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Echo echo;
  // doc:begin options
  const actnet::Options options{
      .num_event_loops = 2,  // or .multicore = true: one loop per CPU
      .load_balancing = actnet::LoadBalancing::least_connections,
      .lock_os_thread = true,  // pin loop i to CPU i % CPUs
      .reuse_port = true,      // each loop accepts on its own listener
      .read_buffer_cap = 128 * 1024,
      .write_buffer_cap = 128 * 1024,
      .write_high_water = 4 * 1024 * 1024,
      .write_low_water = 1024 * 1024,
      .tcp_nodelay = true,
      .socket_send_buffer = 256 * 1024,
      .edge_triggered = true,
      .edge_triggered_chunk = 256 * 1024,  // bytes read per connection per turn
      .watchdog_threshold = std::chrono::milliseconds(50),
      .idle_timeout = std::chrono::seconds(60),
      .handle_signals = true,
  };
  // doc:end options
  const actnet::io::Status status = actnet::run(echo, "tcp://127.0.0.1:" + port, options);
  if (!status) std::fprintf(stderr, "tuning: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
