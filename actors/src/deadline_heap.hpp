#pragma once
// DeadlineHeap is a loop's own timer list: per-connection deadlines (idle timeout, read and
// write deadlines) and user timers (LoopHandle::schedule/every) share one per loop (DESIGN
// "Where Boost.Asio fits": they are armed and cancelled far more often than a message per
// timer would allow, so they stay on the loop and set its epoll_wait timeout). A binary
// min-heap of (when, key); cancelling and moving later are lazy: the owner keeps the true
// time itself and, when an entry pops, ignores one it no longer knows (its generation
// changed, or it is not the owner's live entry) or pushes the later time then. So a
// re-arm to a later time costs nothing here. Loop thread only; steady_clock only.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>
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
  std::size_t size() const noexcept { return heap_.size(); }

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

  // Calls `f(key)` — or `f(key, when)` if it takes both — for every deadline at or before
  // `now`, earliest first. `f` may push; what it pushes at or before `now` runs too.
  template <class F>
  void expire(Clock::time_point now, F&& f) {
    while (!heap_.empty() && heap_.front().when <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const Entry entry = heap_.back();
      heap_.pop_back();
      if constexpr (std::is_invocable_v<F&, std::uint64_t, Clock::time_point>) {
        f(entry.key, entry.when);
      } else {
        f(entry.key);
      }
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
