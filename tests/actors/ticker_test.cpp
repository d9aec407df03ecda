// The ticker (Options::ticker): on_tick runs on the supervisor first at once after boot,
// then after each delay it returns; returning Action::shutdown stops the engine.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Records when each tick ran; `plan(n)` says what tick n (from 0) returns.
class Ticker : public actnet::EventHandler {
 public:
  explicit Ticker(std::function<actnet::Tick(int)> plan) : plan_(std::move(plan)) {}

  actnet::Tick on_tick() override {
    const auto now = Clock::now();
    const int n = ticks.load();
    actnet::Tick tick = plan_(n);
    {
      std::lock_guard lock(mutex_);
      times_.push_back(now);
      delays_.push_back(tick.delay);
    }
    ticks.fetch_add(1);
    return tick;
  }
  void on_shutdown(actnet::Engine&) override {
    ticks_at_shutdown.store(ticks.load());
    shutdowns.fetch_add(1);
  }

  std::vector<Clock::time_point> times() {
    std::lock_guard lock(mutex_);
    return times_;
  }
  std::vector<std::chrono::milliseconds> delays() {
    std::lock_guard lock(mutex_);
    return delays_;
  }

  std::atomic<int> ticks{0};
  std::atomic<int> ticks_at_shutdown{-1};
  std::atomic<int> shutdowns{0};

 private:
  std::function<actnet::Tick(int)> plan_;
  std::mutex mutex_;
  std::vector<Clock::time_point> times_;
  std::vector<std::chrono::milliseconds> delays_;
};

}  // namespace

TEST_CASE("on_tick runs at once after boot and then after each 10 ms delay it returns",
          "[ticker]") {
  constexpr int kTicks = 25;  // after the first
  Ticker handler([](int n) {
    return actnet::Tick{10ms, n == kTicks ? actnet::Action::shutdown : actnet::Action::none};
  });
  const auto before = Clock::now();
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.ticker = true});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(eventually([&] { return engine.stopped(); }, 20s));
  CHECK(running->wait().ok());

  const auto times = handler.times();
  REQUIRE(times.size() == kTicks + 1);  // the one that returned shutdown was the last
  CHECK(handler.shutdowns.load() == 1);
  CHECK(handler.ticks_at_shutdown.load() == kTicks + 1);
  // "At once": well before the 1 s a Tick defaults to, let alone the 10 ms ones that follow.
  CHECK(times.front() - before < 300ms);
  for (int i = 1; i <= kTicks; ++i) {
    INFO("tick " << i);
    CHECK(times[i] - times[i - 1] >= 10ms);  // a timer never fires early
  }
  const auto span = times.back() - times.front();
  CHECK(span >= 240ms);
  CHECK(span < 2500ms);  // and not absurdly late either
}

TEST_CASE("on_tick follows the delay each tick returns", "[ticker]") {
  // Alternating long and short delays; tick 8 stops the engine.
  const std::vector<std::chrono::milliseconds> plan = {60ms, 1ms,  60ms, 1ms, 60ms,
                                                       1ms,  60ms, 1ms,  0ms};
  Ticker handler([&](int n) {
    const auto i = static_cast<std::size_t>(n);
    return actnet::Tick{i < plan.size() ? plan[i] : 1000ms,
                        i + 1 >= plan.size() ? actnet::Action::shutdown : actnet::Action::none};
  });
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.ticker = true});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(eventually([&] { return engine.stopped(); }, 20s));
  CHECK(running->wait().ok());

  const auto times = handler.times();
  REQUIRE(times.size() == plan.size());
  std::chrono::nanoseconds long_gaps{0}, short_gaps{0};
  for (std::size_t i = 1; i < times.size(); ++i) {
    INFO("tick " << i << " after a delay of " << plan[i - 1].count() << " ms");
    CHECK(times[i] - times[i - 1] >= plan[i - 1]);
    (plan[i - 1] == 60ms ? long_gaps : short_gaps) += times[i] - times[i - 1];
  }
  // The short delays are honoured as short: together far below one long one.
  CHECK(short_gaps < 4 * 60ms);
  CHECK(long_gaps < 4 * 60ms + 1500ms);
}

TEST_CASE("on_tick returning shutdown stops the engine and closes its connections", "[ticker]") {
  std::atomic<bool> go{false};
  Ticker handler([&](int) {
    return actnet::Tick{5ms, go.load() ? actnet::Action::shutdown : actnet::Action::none};
  });
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.ticker = true});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return engine.count_connections() == 1; }));
  REQUIRE(eventually([&] { return handler.ticks.load() >= 3; }));
  CHECK_FALSE(engine.stopped());  // ticks that return none leave the engine running
  go.store(true);
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
  CHECK(client.closed_within(5'000));
  const int ticks = handler.ticks.load();
  CHECK(handler.ticks_at_shutdown.load() == ticks);  // no tick ran after the one that stopped it
  CHECK(engine.stop() == actnet::Errc::shutting_down);
}

TEST_CASE("A stop asked for elsewhere ends the ticks and without Options::ticker none run",
          "[ticker]") {
  SECTION("with the ticker") {
    Ticker handler([](int) { return actnet::Tick{2ms, actnet::Action::none}; });
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.ticker = true});
    REQUIRE(running.ok());
    REQUIRE(eventually([&] { return handler.ticks.load() >= 5; }));
    REQUIRE_FALSE(running->engine().stop());
    REQUIRE(eventually([&] { return running->engine().stopped(); }));
    CHECK(running->wait().ok());
    CHECK(handler.ticks.load() == handler.ticks_at_shutdown.load());
  }
  SECTION("without it") {
    Ticker handler([](int) { return actnet::Tick{1ms, actnet::Action::none}; });
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
    REQUIRE(running.ok());
    // Long enough for many 1 ms ticks, had the ticker been on.
    TestClient client(running->engine().listen_addresses().at(0));
    REQUIRE(eventually([&] { return running->engine().count_connections() == 1; }));
    ::usleep(100'000);
    REQUIRE_FALSE(running->engine().stop());
    REQUIRE(eventually([&] { return running->engine().stopped(); }));
    CHECK(running->wait().ok());
    CHECK(handler.ticks.load() == 0);
    CHECK(handler.shutdowns.load() == 1);
  }
}

TEST_CASE(
    "A ticker asking for no delay or one shorter than its own run leaves the supervisor "
    "free to accept and stop",
    "[ticker]") {
  // The tick's delay, and how long on_tick itself takes: due again as soon as it returns.
  const auto [delay, busy_us] = GENERATE(std::pair{0ms, 0}, std::pair{1ms, 3'000});
  class Echo : public Ticker {
   public:
    Echo(std::chrono::milliseconds delay, int busy_us)
        : Ticker([delay, busy_us](int) {
            if (busy_us > 0) ::usleep(static_cast<useconds_t>(busy_us));
            return actnet::Tick{delay, actnet::Action::none};
          }) {}
    actnet::Action on_traffic(actnet::Conn& conn) override {
      conn.write(conn.next());
      return actnet::Action::none;
    }
  } handler(delay, busy_us);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.ticker = true});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(eventually([&] { return handler.ticks.load() >= 100; }));
  {
    TestClient client(engine.listen_addresses().at(0), 5'000);  // accepted by the supervisor
    client.send_all("tick tock");
    CHECK(client.recv_exact(9) == "tick tock");
  }
  REQUIRE_FALSE(engine.stop());
  const bool stopped = eventually([&] { return engine.stopped(); });
  REQUIRE(stopped);
  CHECK(running->wait().ok());
  CHECK(handler.ticks.load() == handler.ticks_at_shutdown.load());
}
