// The watchdog: the supervisor notices a loop whose turn runs past
// Options::watchdog_threshold, counts it in stats().loops[i].watchdog_hits and logs a warning
// naming the loop and the callback it is stuck in.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Echoes; with `block_ms`, first sleeps that long in on_traffic (what a handler must not do).
class Echo : public actnet::EventHandler {
 public:
  explicit Echo(int block_ms) : block_ms_(block_ms) {}
  actnet::Action on_open(actnet::Conn& conn) override {
    loop.store(static_cast<int>(conn.loop_index()));
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (block_ms_ > 0) ::usleep(static_cast<useconds_t>(block_ms_) * 1000);
    conn.write(conn.next());
    return actnet::Action::none;
  }
  std::atomic<int> loop{-1};

 private:
  const int block_ms_;
};

// A logger writing into `out`; read `out` only once the engine has stopped.
std::shared_ptr<spdlog::logger> capture(std::ostringstream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("captured", sink);
  logger->set_level(spdlog::level::debug);
  return logger;
}

}  // namespace

TEST_CASE("A handler blocking its loop for 300 ms is reported by the watchdog for that loop",
          "[watchdog]") {
  std::ostringstream log;
  Echo handler(300);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 2,
                                .watchdog_threshold = 100ms,
                                .logger = capture(log),
                                .log_level = spdlog::level::debug});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return handler.loop.load() >= 0; }));
  const auto busy = static_cast<std::size_t>(handler.loop.load());
  const std::size_t idle = 1 - busy;

  client.send_all("ping");
  CHECK(client.recv_exact(4) == "ping");  // it still answers, late
  REQUIRE(eventually([&] { return engine.stats().loops.at(busy).watchdog_hits >= 1; }));
  CHECK(eventually([&] { return engine.stats().loops.at(busy).longest_turn >= 300ms; }));
  const actnet::EngineStats stats = engine.stats();
  CHECK(stats.loops.at(busy).watchdog_hits == 1);  // one warning per long turn
  CHECK(stats.loops.at(idle).watchdog_hits == 0);

  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  REQUIRE(running->wait().ok());
  const std::string text = log.str();
  INFO(text);
  const auto at = text.find("watchdog");
  REQUIRE(at != std::string::npos);
  const std::string line = text.substr(at, text.find('\n', at) - at);
  CHECK(line.find("loop " + std::to_string(busy)) != std::string::npos);
  CHECK(line.find("on_traffic") != std::string::npos);
  CHECK(text.find("loop " + std::to_string(idle) + " has been busy") == std::string::npos);
}

TEST_CASE("A handler that does not block produces no watchdog hits", "[watchdog]") {
  std::ostringstream log;
  Echo handler(0);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 2,
                                .watchdog_threshold = 100ms,
                                .logger = capture(log),
                                .log_level = spdlog::level::debug});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);
  TestClient a(address), b(address);
  for (int i = 0; i < 200; ++i) {
    const std::string m = "message " + std::to_string(i);
    a.send_all(m);
    b.send_all(m);
    REQUIRE(a.recv_exact(m.size()) == m);
    REQUIRE(b.recv_exact(m.size()) == m);
  }
  for (const actnet::LoopStats& loop : engine.stats().loops) {
    INFO("loop " << loop.loop);
    CHECK(loop.watchdog_hits == 0);
    CHECK(loop.longest_turn < 100ms);
  }
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  REQUIRE(running->wait().ok());
  CHECK(log.str().find("watchdog") == std::string::npos);
}

TEST_CASE("A watchdog_threshold of zero turns the watchdog off", "[watchdog]") {
  std::ostringstream log;
  Echo handler(300);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .watchdog_threshold = 0ms,
                                .logger = capture(log),
                                .log_level = spdlog::level::debug});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  client.send_all("ping");
  CHECK(client.recv_exact(4) == "ping");
  // The turn was long (it ends a moment after the echo left), and nobody watched it.
  CHECK(eventually([&] { return engine.stats().loops.at(0).longest_turn >= 300ms; }));
  CHECK(engine.stats().loops.at(0).watchdog_hits == 0);
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  REQUIRE(running->wait().ok());
  CHECK(log.str().find("watchdog") == std::string::npos);
}
