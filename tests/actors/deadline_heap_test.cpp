// The loop-local deadline heap that dials (and later per-connection timeouts) use: earliest
// first, the epoll timeout it asks for, and lazy cancellation left to its owner.

#include <chrono>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "../../actors/src/deadline_heap.hpp"

using namespace std::chrono_literals;
using actnet::detail::DeadlineHeap;

TEST_CASE("A deadline heap expires keys earliest first and only once due", "[deadline]") {
  DeadlineHeap heap;
  const auto t0 = DeadlineHeap::Clock::time_point{} + 1h;
  heap.push(t0 + 30ms, 3);
  heap.push(t0 + 10ms, 1);
  heap.push(t0 + 20ms, 2);
  heap.push(t0 + 10ms, 4);
  std::vector<std::uint64_t> fired;
  heap.expire(t0 + 5ms, [&](std::uint64_t k) { fired.push_back(k); });
  CHECK(fired.empty());
  heap.expire(t0 + 20ms, [&](std::uint64_t k) { fired.push_back(k); });
  REQUIRE(fired.size() == 3);
  CHECK(fired[2] == 2);  // 1 and 4 (same instant) first, in either order
  CHECK(fired[0] + fired[1] == 5);
  CHECK(heap.earliest() == t0 + 30ms);
  heap.expire(t0 + 1s, [&](std::uint64_t k) { fired.push_back(k); });
  CHECK(fired.back() == 3);
  CHECK(heap.empty());
}

TEST_CASE("A deadline heap shortens the loop's wait to its earliest deadline, rounding up",
          "[deadline]") {
  DeadlineHeap heap;
  const auto now = DeadlineHeap::Clock::time_point{} + 1h;
  CHECK(heap.timeout_ms(-1, now) == -1);  // nothing due: the loop's own wait
  CHECK(heap.timeout_ms(7, now) == 7);
  heap.push(now + 1500us, 1);
  CHECK(heap.timeout_ms(-1, now) == 2);  // never wakes just before it is due
  CHECK(heap.timeout_ms(1, now) == 1);   // a shorter wait wins
  CHECK(heap.timeout_ms(-1, now + 5ms) == 0);
  heap.clear();
  CHECK(heap.timeout_ms(-1, now) == -1);
}
