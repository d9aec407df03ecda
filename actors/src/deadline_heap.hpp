#pragma once
// DeadlineHeap is a loop's own timer list for per-connection deadlines (DESIGN "Where
// Boost.Asio fits": they are armed and cancelled far more often than a message per timer
// would allow, so they stay on the loop and set its epoll_wait timeout). A binary min-heap
// of (when, key); cancelling is lazy: the owner ignores an expired key it no longer knows
// (its generation changed). Loop thread only; steady_clock only.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace actnet::detail {

class DeadlineHeap {
 public:
  using Clock = std::chrono::steady_clock;

  void push(Clock::time_point when, std::uint64_t key) {
    heap_.push_back({when, key});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  bool empty() const noexcept { return heap_.empty(); }

  std::optional<Clock::time_point> earliest() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().when;
  }

  // Milliseconds until the earliest deadline, rounded up (so a wait never ends just before
  // it is due), capped by `wait` (-1: no cap).
  int timeout_ms(int wait, Clock::time_point now) const noexcept {
    if (heap_.empty()) return wait;
    const auto left = heap_.front().when - now;
    const auto ms =
        left <= left.zero() ? 0 : std::chrono::ceil<std::chrono::milliseconds>(left).count();
    const int capped = static_cast<int>(std::min<std::int64_t>(ms, 1 << 30));
    return wait < 0 ? capped : std::min(wait, capped);
  }

  // Calls `f(key)` for every deadline at or before `now`, earliest first.
  template <class F>
  void expire(Clock::time_point now, F&& f) {
    while (!heap_.empty() && heap_.front().when <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const std::uint64_t key = heap_.back().key;
      heap_.pop_back();
      f(key);
    }
  }

  void clear() noexcept { heap_.clear(); }

 private:
  struct Entry {
    Clock::time_point when;
    std::uint64_t key;
  };
  static bool later(const Entry& a, const Entry& b) noexcept { return a.when > b.when; }

  std::vector<Entry> heap_;
};

}  // namespace actnet::detail
