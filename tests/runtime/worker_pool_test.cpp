#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/runtime/worker_pool.hpp"

using actnet::SubmitResult;
using actnet::WorkerPool;
using namespace std::chrono_literals;

namespace {

// A job that blocks its worker until the test opens the gate.
struct Gate {
  std::promise<void> opened;
  std::shared_future<void> wait = opened.get_future().share();
  void open() { opened.set_value(); }
};

// A job whose captured state shows whether the pool consumed it.
struct Tracked {
  std::unique_ptr<int> payload = std::make_unique<int>(7);
  void operator()() {}
};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("try_submit answers full at capacity and leaves the refused job intact", "[pool]") {
  WorkerPool pool({.threads = 1, .capacity = 2});
  Gate gate;
  std::atomic<bool> started{false};
  REQUIRE(pool.try_submit([&, w = gate.wait] {
    started = true;
    w.wait();
  }) == SubmitResult::ok);
  REQUIRE(
      eventually([&] { return started.load(); }));  // the worker holds job 1; the queue is empty

  CHECK(pool.try_submit([] {}) == SubmitResult::ok);
  CHECK(pool.try_submit([] {}) == SubmitResult::ok);
  CHECK(pool.pending() == 2);
  Tracked refused;
  CHECK(pool.try_submit(std::move(refused)) == SubmitResult::full);
  REQUIRE(refused.payload != nullptr);  // not moved from: the caller still owns it
  CHECK(*refused.payload == 7);

  gate.open();
  pool.release();
  CHECK(pool.completed_jobs() == 3);
}

TEST_CASE("The queue never holds more jobs than its capacity while submitters block",
          "[pool][concurrency]") {
  constexpr std::size_t kCapacity = 8;
  WorkerPool pool({.threads = 2, .capacity = kCapacity});
  std::atomic<std::size_t> worst{0};
  std::atomic<int> ran{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        pool.submit([&] {
          ran.fetch_add(1);
          std::size_t p = pool.pending(), w = worst.load();
          while (p > w && !worst.compare_exchange_weak(w, p)) {
          }
        });
      }
    });
  }
  for (auto& t : submitters)
    t.join();
  pool.release();
  CHECK(ran.load() == 8000);
  CHECK(worst.load() <= kCapacity);
}

TEST_CASE("A blocking submit waits for room instead of failing", "[pool][concurrency]") {
  WorkerPool pool({.threads = 1, .capacity = 1});
  Gate gate;
  std::atomic<bool> started{false};
  REQUIRE(pool.submit([&, w = gate.wait] {
    started = true;
    w.wait();
  }) == SubmitResult::ok);
  REQUIRE(eventually([&] { return started.load(); }));
  REQUIRE(pool.submit([] {}) == SubmitResult::ok);  // fills the queue

  std::atomic<bool> third_queued{false};
  std::thread blocked([&] {
    if (pool.submit([] {}) == SubmitResult::ok) third_queued = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(third_queued.load());  // still waiting for room
  gate.open();
  blocked.join();
  CHECK(third_queued.load());
  pool.release();
  CHECK(pool.completed_jobs() == 3);
}

TEST_CASE("Release runs every queued job before it returns", "[pool]") {
  std::atomic<int> done{0};
  WorkerPool pool({.threads = 2, .capacity = 256});
  for (int i = 0; i < 200; ++i) {
    REQUIRE(pool.submit([&] {
      std::this_thread::sleep_for(100us);
      done.fetch_add(1);
    }) == SubmitResult::ok);
  }
  pool.release();
  CHECK(done.load() == 200);
  CHECK(pool.pending() == 0);
}

TEST_CASE("A job that throws is logged and contained and its thread goes on working", "[pool]") {
  WorkerPool pool({.threads = 1, .capacity = 16});
  std::thread::id first, second;
  std::promise<void> ran;
  REQUIRE(pool.submit([&] {
    first = std::this_thread::get_id();
    throw std::runtime_error("job failed on purpose");
  }) == SubmitResult::ok);
  REQUIRE(pool.submit([&] { throw 42; }) == SubmitResult::ok);
  REQUIRE(pool.submit([&] {
    second = std::this_thread::get_id();
    ran.set_value();
  }) == SubmitResult::ok);
  REQUIRE(ran.get_future().wait_for(10s) == std::future_status::ready);
  pool.release();
  CHECK(pool.failed_jobs() == 2);
  CHECK(pool.completed_jobs() == 1);
  CHECK(first == second);  // the same (only) worker survived both throws
}

TEST_CASE("A released pool refuses jobs and leaves them with the caller", "[pool]") {
  WorkerPool pool({.threads = 1, .capacity = 4});
  pool.release();
  pool.release();  // idempotent
  Tracked job;
  CHECK(pool.try_submit(std::move(job)) == SubmitResult::released);
  CHECK(pool.submit(std::move(job)) == SubmitResult::released);
  CHECK(job.payload != nullptr);
}

TEST_CASE("Release wakes a submitter blocked on a full queue", "[pool][concurrency]") {
  auto pool = std::make_unique<WorkerPool>(actnet::WorkerPoolOptions{.threads = 1, .capacity = 1});
  Gate gate;
  std::atomic<bool> started{false};
  REQUIRE(pool->submit([&, w = gate.wait] {
    started = true;
    w.wait();
  }) == SubmitResult::ok);
  REQUIRE(eventually([&] { return started.load(); }));
  REQUIRE(pool->submit([] {}) == SubmitResult::ok);

  std::promise<SubmitResult> outcome;
  std::thread blocked([&] { outcome.set_value(pool->submit([] {})); });
  std::this_thread::sleep_for(20ms);
  std::thread releaser([&] { pool->release(); });
  auto result = outcome.get_future();
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get() == SubmitResult::released);
  gate.open();
  blocked.join();
  releaser.join();
  CHECK(pool->completed_jobs() == 2);
}

TEST_CASE(
    "Many producers submit concurrently and every job runs exactly once on the pool's threads",
    "[pool][concurrency]") {
  constexpr int kProducers = 4, kPerProducer = 5000;
  WorkerPool pool({.threads = 3, .capacity = 64});
  std::vector<std::atomic<int>> runs(kProducers * kPerProducer);
  std::mutex ids_mutex;
  std::set<std::thread::id> ids;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        const int index = p * kPerProducer + i;
        SubmitResult r;
        while ((r = pool.try_submit([&, index] {
                 runs[static_cast<std::size_t>(index)].fetch_add(1);
                 std::lock_guard lock(ids_mutex);
                 ids.insert(std::this_thread::get_id());
               })) == SubmitResult::full) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : producers)
    t.join();
  pool.release();
  int wrong = 0;
  for (auto& r : runs)
    wrong += r.load() != 1;
  CHECK(wrong == 0);
  CHECK(ids.size() <= 3);
  CHECK(ids.count(std::this_thread::get_id()) == 0);
}

TEST_CASE("A pool refuses zero threads or zero capacity", "[pool]") {
  CHECK_THROWS_AS(WorkerPool({.threads = 0, .capacity = 1}), std::invalid_argument);
  CHECK_THROWS_AS(WorkerPool({.threads = 1, .capacity = 0}), std::invalid_argument);
}
