// Idle timeouts (Options::idle_timeout, Conn::set_idle_timeout): a connection that sends
// nothing for the timeout closes with Errc::timed_out; every inbound byte moves the deadline;
// a per-connection timeout overrides the engine's, zero turns it off; hundreds of idle
// connections all expire.

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Echoes; a client whose first bytes are "keep" turns its idle timeout off, "fast" sets
// 100 ms. Counts closes by error.
class Idle : public actnet::EventHandler {
 public:
  std::atomic<int> timed_out{0}, other_close{0};

  actnet::Action on_traffic(actnet::Conn& conn) override {
    const std::string bytes(conn.next());
    if (bytes == "keep") conn.set_idle_timeout(0ms);
    if (bytes == "fast") conn.set_idle_timeout(100ms);
    conn.write(bytes);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    (error == actnet::Errc::timed_out ? timed_out : other_close).fetch_add(1);
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE(
    "a connection that sends nothing for the idle timeout is closed with timed_out, and "
    "one that keeps sending stays open") {
  Idle handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .idle_timeout = 300ms});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  TestClient silent(address), chatty(address);
  const auto start = std::chrono::steady_clock::now();

  // chatty sends every 50 ms for 900 ms: three timeouts' worth, never idle for one.
  for (int i = 0; i < 18; ++i) {
    chatty.send_all("hi");
    REQUIRE(chatty.recv_exact(2) == "hi");
    std::this_thread::sleep_for(50ms);
  }
  CHECK(silent.closed_within(5000));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);  // never early
  CHECK(handler.timed_out.load() == 1);
  chatty.send_all("still");
  CHECK(chatty.recv_exact(5) == "still");

  // Once chatty falls silent it goes the same way.
  CHECK(chatty.closed_within(5000));
  CHECK(handler.timed_out.load() == 2);
  CHECK(handler.other_close.load() == 0);
}

TEST_CASE("a connection's own idle timeout overrides the engine's, and zero turns it off") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.idle_timeout = 400ms});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  TestClient keep(address), fast(address);
  keep.send_all("keep");
  REQUIRE(keep.recv_exact(4) == "keep");
  const auto start = std::chrono::steady_clock::now();
  fast.send_all("fast");
  REQUIRE(fast.recv_exact(4) == "fast");
  CHECK(fast.closed_within(5000));
  CHECK(std::chrono::steady_clock::now() - start < 400ms);  // its own 100 ms, not the 400
  std::this_thread::sleep_for(700ms);                       // well past the engine's timeout
  keep.send_all("alive");
  CHECK(keep.recv_exact(5) == "alive");
  CHECK(handler.timed_out.load() == 1);
}

TEST_CASE("hundreds of idle connections all expire, and an engine without a timeout keeps them") {
  Idle handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .idle_timeout = 200ms});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  std::vector<TestClient> clients;
  for (int i = 0; i < 300; ++i)
    clients.emplace_back(address);
  REQUIRE(eventually([&] { return handler.timed_out.load() == 300; }));
  CHECK(running->engine().count_connections() == 0);

  Idle patient;
  auto forever = actnet::start(patient, {"tcp://127.0.0.1:0"});
  REQUIRE(forever.ok());
  TestClient idle(forever->engine().listen_addresses().at(0));
  std::this_thread::sleep_for(400ms);
  idle.send_all("x");
  CHECK(idle.recv_exact(1) == "x");
  CHECK(patient.timed_out.load() == 0);
}
