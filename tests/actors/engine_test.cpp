#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE("An engine echoes bytes back over tcp4 and stops when asked", "[engine]") {
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(engine.listen_addresses().size() == 1);
  {
    TestClient client(engine.listen_addresses()[0]);
    client.send_all("hello actnet");
    CHECK(client.recv_exact(12) == "hello actnet");
    CHECK(eventually([&] { return engine.count_connections() == 1; }));
  }
  CHECK(eventually([&] { return engine.count_connections() == 0; }));
  CHECK_FALSE(engine.stop());
  CHECK(engine.stop() == actnet::Errc::shutting_down);  // a second stop is an error
  CHECK(running->wait().ok());
  CHECK(engine.stopped());
}

TEST_CASE("An invalid option is refused with a message naming it", "[engine]") {
  Echo echo;
  auto bad =
      actnet::run(echo, "tcp://127.0.0.1:0", {.write_high_water = 10, .write_low_water = 20});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("write_low_water") != std::string::npos);
  auto bad_address = actnet::run(echo, "tcp://127.0.0.1:99999");
  REQUIRE_FALSE(bad_address.ok());
  CHECK(bad_address.error().message.find("99999") != std::string::npos);
}
