// What a user of an installed actnet writes: an echo server on 127.0.0.1:PORT that stops on
// SIGTERM. The consumer test builds it against actnet three ways and talks to it.
#include <actnet/actnet.hpp>
#include <string>
#include <string_view>

struct Echo final : actnet::EventHandler {
  actnet::Action on_traffic(actnet::Conn& conn) override {  // on the connection's loop
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

int main(int argc, char** argv) {
  // The headers compiled against and the library linked must agree.
  if (argc != 2 || std::string_view(actnet::version()) != ACTNET_VERSION_STRING) {
    return 2;
  }
  Echo echo;
  actnet::Options options;
  options.num_event_loops = 2;
  options.handle_signals = true;  // SIGTERM stops it gracefully
  auto status = actnet::run(echo, std::string("tcp://127.0.0.1:").append(argv[1]), options);
  return status ? 0 : 1;
}
