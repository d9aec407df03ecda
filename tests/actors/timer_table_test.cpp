// TimerTable, the cross-thread half of the loops' user timers: claims carry a generation
// that a released slot no longer matches, cancel succeeds once and only while pending, a
// one-shot that finished cannot be cancelled, and claims from many threads racing the
// owner's releases never hand one slot to two timers.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../../actors/src/timer_table.hpp"

using actnet::detail::TimerTable;

TEST_CASE("a timer slot cancels once while pending, and a released slot ignores old handles") {
  TimerTable table;
  const auto a = table.claim();
  REQUIRE(a);
  CHECK(table.pending(*a));
  CHECK(table.cancel(*a));
  CHECK_FALSE(table.cancel(*a));
  CHECK_FALSE(table.pending(*a));
  CHECK_FALSE(table.finish(*a));  // the loop learns it was cancelled
  table.release(a->slot);

  const auto b = table.claim();  // the same slot, reused under a new generation
  REQUIRE(b);
  CHECK(b->slot == a->slot);
  CHECK(b->generation != a->generation);
  CHECK_FALSE(table.cancel(*a));  // the old handle reaches nothing
  CHECK(table.pending(*b));
  CHECK(table.finish(*b));  // a one-shot starting: cancel now returns false
  CHECK_FALSE(table.cancel(*b));
  CHECK_FALSE(table.pending(*b));
}

TEST_CASE(
    "timer slots claimed on many threads while the owner releases them are never given to "
    "two timers at once",
    "[concurrency]") {
  TimerTable table;
  constexpr int kThreads = 3, kClaims = 20'000, kBatch = 16;
  // A slot is held from its claim until the owner releases it: a second claim of a held
  // slot would find its count non-zero.
  std::vector<std::atomic<int>> holders(65'536);
  std::atomic<int> doubled{0}, failed{0};
  std::mutex mutex;  // the test's handoff to the owner, not the table's
  std::vector<TimerTable::Claim> to_release;
  std::atomic<int> producers{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<TimerTable::Claim> batch;
      for (int i = 0; i < kClaims; ++i) {
        const auto id = table.claim();
        if (!id || id->slot >= holders.size()) {  // Catch's checks are for the test thread
          failed.fetch_add(1);
          continue;
        }
        if (holders[id->slot].fetch_add(1) != 0) doubled.fetch_add(1);
        if (i % 2 == 0) (void)table.cancel(*id);
        batch.push_back(*id);
        if (batch.size() == kBatch) {
          std::lock_guard lock(mutex);
          to_release.insert(to_release.end(), batch.begin(), batch.end());
          batch.clear();
        }
      }
      std::lock_guard lock(mutex);
      to_release.insert(to_release.end(), batch.begin(), batch.end());
      producers.fetch_sub(1);
    });
  }
  std::thread owner([&] {  // the loop: the free list's single producer
    std::vector<TimerTable::Claim> mine;
    for (;;) {
      const bool last = producers.load() == 0;
      {
        std::lock_guard lock(mutex);
        mine.swap(to_release);
      }
      for (const auto& id : mine) {
        (void)table.finish(id);
        holders[id.slot].fetch_sub(1);
        table.release(id.slot);
      }
      mine.clear();
      if (last) return;
      std::this_thread::yield();
    }
  });
  for (auto& thread : threads)
    thread.join();
  owner.join();
  CHECK(failed.load() == 0);
  CHECK(doubled.load() == 0);
}
