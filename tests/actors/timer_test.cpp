// User timers on the loops (LoopHandle::schedule/every, Engine::schedule/every,
// TimerHandle::cancel): a one-shot runs once on its loop's thread, never early; `every`
// repeats and skips what a blocked loop missed instead of bursting; cancel stops a timer
// from the loop, from its own function and from other threads, and answers false once it
// ran or was cancelled; timers end with the engine; an exception does not kill the loop.

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Echoes; "later" is answered "late" 100 ms afterwards by a timer on the connection's loop.
class Echo : public actnet::EventHandler {
 public:
  std::atomic<bool> timer_on_loop{false};
  actnet::Action on_traffic(actnet::Conn& conn) override {
    const std::string bytes(conn.next());
    if (bytes == "later") {
      const actnet::LoopHandle loop = conn.loop_handle();
      loop.schedule(100ms, [this, loop, ref = conn.ref()] {
        timer_on_loop = loop.is_current();
        ref.async_write("late");
      });
      return actnet::Action::none;
    }
    conn.write(bytes);
    return actnet::Action::none;
  }
};

actnet::RunningEngine start(Echo& handler, std::size_t loops = 2) {
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = loops});
  REQUIRE(running.ok());
  return std::move(*running);
}

}  // namespace

TEST_CASE("schedule runs its function once, on the loop's thread, no earlier than its delay") {
  Echo handler;
  auto running = start(handler);
  const actnet::Engine engine = running.engine();
  const actnet::LoopHandle loop = engine.loop_handle(1);
  REQUIRE(loop);
  std::atomic<int> runs{0};
  std::atomic<bool> on_loop{false};
  std::atomic<Clock::rep> ran_at{0};
  const auto begin = Clock::now();
  const actnet::TimerHandle timer = loop.schedule(200ms, [&] {
    on_loop = loop.is_current();
    ran_at = Clock::now().time_since_epoch().count();
    runs.fetch_add(1);
  });
  REQUIRE(timer);
  CHECK(timer.pending());
  REQUIRE(eventually([&] { return runs.load() == 1; }, 5s));
  const auto took = Clock::time_point(Clock::duration(ran_at.load())) - begin;
  CHECK(took >= 200ms);
  CHECK(took < 3s);  // loosely: a shared machine may be slow, but not that slow
  CHECK(on_loop.load());
  CHECK_FALSE(timer.pending());
  std::this_thread::sleep_for(300ms);
  CHECK(runs.load() == 1);
  CHECK_FALSE(timer.cancel());  // it ran: cancelling is a no-op

  // From a handler, on the connection's own loop, with no message.
  TestClient client(engine.listen_addresses().at(0));
  const auto asked = Clock::now();
  client.send_all("later");
  CHECK(client.recv_exact(4) == "late");
  CHECK(Clock::now() - asked >= 100ms);
  CHECK(handler.timer_on_loop.load());
}

TEST_CASE(
    "every repeats on its loop and skips the periods a blocked loop missed instead of "
    "running them in a burst") {
  Echo handler;
  auto running = start(handler, 1);
  const actnet::LoopHandle loop = running.engine().loop_handle(0);
  std::mutex mutex;
  std::vector<Clock::time_point> starts;
  std::atomic<bool> off_loop{false};
  const auto begin = Clock::now();
  const actnet::TimerHandle timer = loop.every(50ms, [&] {
    if (!loop.is_current()) off_loop = true;
    std::size_t n;
    {
      std::lock_guard lock(mutex);
      starts.push_back(Clock::now());
      n = starts.size();
    }
    if (n == 1) std::this_thread::sleep_for(170ms);  // the loop misses three periods
  });
  REQUIRE(timer);
  REQUIRE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return starts.size() >= 8;
      },
      5s));
  CHECK(timer.cancel());
  CHECK_FALSE(timer.cancel());
  std::lock_guard lock(mutex);
  const std::size_t runs = starts.size();
  CHECK_FALSE(off_loop.load());
  // Never early, and the three periods the first run blocked through (it ended past
  // begin + 220 ms) were skipped: run i >= 1 lands on grid point i + 4 or later. A timer
  // that caught up in a burst would run three times at once around 220 ms.
  CHECK(starts[0] - begin >= 50ms);
  for (std::size_t i = 1; i < starts.size(); ++i) {
    CHECK(starts[i] - begin >= 50ms * static_cast<int>(i + 4));
  }
  mutex.unlock();
  std::this_thread::sleep_for(200ms);
  mutex.lock();
  CHECK(starts.size() == runs);  // cancelled: no more runs
}

TEST_CASE(
    "cancel on the loop stops a timer before it runs, a timer may cancel itself, and a "
    "second cancel returns false") {
  Echo handler;
  auto running = start(handler, 1);
  const actnet::LoopHandle loop = running.engine().loop_handle(0);
  std::atomic<int> one_shot_runs{0}, every_runs{0};
  std::atomic<int> first{-1}, second{-1};
  std::atomic<bool> posted_done{false};
  REQUIRE(loop.post([&] {
    const actnet::TimerHandle t = loop.schedule(100ms, [&] { one_shot_runs.fetch_add(1); });
    first = t.cancel() ? 1 : 0;
    second = t.cancel() ? 1 : 0;
    // An every that stops itself on its third run.
    auto self = std::make_shared<actnet::TimerHandle>();
    *self = loop.every(20ms, [&every_runs, self] {
      if (every_runs.fetch_add(1) + 1 == 3) self->cancel();
    });
    posted_done = true;
  }));
  REQUIRE(eventually([&] { return posted_done.load(); }, 5s));
  CHECK(first.load() == 1);
  CHECK(second.load() == 0);
  REQUIRE(eventually([&] { return every_runs.load() == 3; }, 5s));
  std::this_thread::sleep_for(300ms);
  CHECK(one_shot_runs.load() == 0);
  CHECK(every_runs.load() == 3);
  CHECK(running.engine().stats().loops.at(0).timers == 0);  // both released on the loop
}

TEST_CASE(
    "timers cancelled from other threads race the loop safely: each either ran or was "
    "cancelled, never both",
    "[concurrency]") {
  Echo handler;
  auto running = start(handler, 2);
  const actnet::Engine engine = running.engine();
  constexpr int kThreads = 2, kTimers = 2000;
  std::vector<std::atomic<int>> ran(kThreads * kTimers);
  std::vector<std::atomic<int>> cancelled(kThreads * kTimers);
  std::atomic<int> second_cancels{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<actnet::TimerHandle> handles;
      for (int i = 0; i < kTimers; ++i) {
        const int id = t * kTimers + i;
        handles.push_back(
            engine.schedule(std::chrono::microseconds(i % 3000), [&ran, id] { ran[id] = 1; }));
      }
      for (int i = 0; i < kTimers; i += 2) {  // every other one, racing its due time
        if (handles[i].cancel()) cancelled[t * kTimers + i] = 1;
      }
      for (int i = 0; i < kTimers; i += 2)  // counted: Catch's checks are for the test thread
        if (handles[i].cancel()) second_cancels.fetch_add(1);
    });
  }
  for (auto& thread : threads)
    thread.join();
  REQUIRE(eventually(
      [&] {
        for (int id = 0; id < kThreads * kTimers; ++id)
          if (ran[id].load() + cancelled[id].load() != 1) return false;
        return true;
      },
      10s));
  std::this_thread::sleep_for(50ms);
  int both = 0, cancelled_count = 0;
  for (int id = 0; id < kThreads * kTimers; ++id) {
    both += ran[id].load() & cancelled[id].load();
    cancelled_count += cancelled[id].load();
  }
  CHECK(both == 0);
  CHECK(second_cancels.load() == 0);
  CHECK(cancelled_count <= kThreads * kTimers / 2);
  REQUIRE(eventually([&] {
    const auto stats = engine.stats();
    return stats.loops.at(0).timers + stats.loops.at(1).timers == 0;
  }));
}

TEST_CASE(
    "timers end when the engine stops: a pending one-shot never runs, and cancel or schedule "
    "afterwards is safe") {
  Echo handler;
  auto running = start(handler, 2);
  const actnet::Engine engine = running.engine();
  std::atomic<int> one_shot{0}, ticks{0};
  const actnet::TimerHandle later = engine.schedule(300ms, [&] { one_shot.fetch_add(1); });
  const actnet::TimerHandle ticker = engine.every(10ms, [&] { ticks.fetch_add(1); });
  REQUIRE(eventually([&] { return ticks.load() >= 3; }, 5s));
  REQUIRE(!engine.stop());
  REQUIRE(running.wait());
  const int ticks_at_stop = ticks.load();
  std::this_thread::sleep_for(400ms);
  CHECK(one_shot.load() == 0);
  CHECK(ticks.load() == ticks_at_stop);
  CHECK_FALSE(later.pending());
  CHECK_FALSE(later.cancel());
  CHECK_FALSE(ticker.cancel());
  CHECK_FALSE(engine.schedule(1ms, [] {}));
  CHECK_FALSE(engine.loop_handle(0).every(1ms, [] {}));
}

TEST_CASE("a timer that throws is logged and neither stops the loop nor its every schedule") {
  Echo handler;
  auto running = start(handler, 1);
  const actnet::Engine engine = running.engine();
  std::atomic<int> runs{0};
  const actnet::TimerHandle timer = engine.every(20ms, [&] {
    runs.fetch_add(1);
    throw std::runtime_error("a timer failing on purpose");
  });
  REQUIRE(eventually([&] { return runs.load() >= 3; }, 5s));
  CHECK(timer.cancel());
  TestClient client(engine.listen_addresses().at(0));
  client.send_all("ping");
  CHECK(client.recv_exact(4) == "ping");
}

TEST_CASE("Engine::schedule spreads timers over the loops, each running on its loop's thread") {
  Echo handler;
  auto running = start(handler, 2);
  const actnet::Engine engine = running.engine();
  std::atomic<int> on_loop[2] = {0, 0};
  std::atomic<int> runs{0};
  for (int i = 0; i < 4; ++i) {
    engine.schedule(1ms, [&] {
      for (std::size_t l = 0; l < 2; ++l)
        if (engine.loop_handle(l).is_current()) on_loop[l].fetch_add(1);
      runs.fetch_add(1);
    });
  }
  REQUIRE(eventually([&] { return runs.load() == 4; }, 5s));
  CHECK(on_loop[0].load() == 2);
  CHECK(on_loop[1].load() == 2);
  CHECK_FALSE(engine.loop_handle(2));
}
