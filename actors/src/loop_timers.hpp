#pragma once
// LoopTimers runs a loop's user timers (LoopHandle::schedule/every): it owns their
// functions, due times and periods, on the loop, and keeps each armed timer's due time in
// the loop's DeadlineHeap — the same one the connections' deadlines use — under a key with
// kKeyBit set. What other threads see of a timer (pending, cancelled) is its TimerTable slot.
//
// A one-shot leaves the table `done` as it starts, so cancelling it then returns false. An
// `every` re-arms from its previous due time (no drift) and skips the periods a busy loop
// missed rather than running them in a burst. Once stopped (the loop's drain began) nothing
// runs again: every timer is finished and its function destroyed. Loop thread only.

#include <chrono>
#include <cstdint>
#include <vector>

#include "actnet/runtime/unique_function.hpp"
#include "deadline_heap.hpp"
#include "timer_table.hpp"

namespace actnet::detail {

class EventLoop;

class LoopTimers {
 public:
  using Clock = DeadlineHeap::Clock;
  static constexpr std::uint64_t kKeyBit = std::uint64_t{1} << 63;  // connection keys lack it

  LoopTimers(EventLoop& loop, TimerTable& table, DeadlineHeap& heap)
      : loop_(loop), table_(table), heap_(heap) {}

  // Loop thread: arms a slot claimed from the table (on any thread) to run `fn` at `due`,
  // then every `period` if it is positive. A slot cancelled meanwhile, or a stopped loop,
  // just frees it.
  void install(TimerTable::Claim id, Clock::time_point due, Clock::duration period,
               UniqueFunction<void()> fn);
  // Loop thread: a heap entry with kKeyBit came due.
  void expire(std::uint64_t key);
  // Loop thread: the timer was cancelled on this loop: its function goes now, unless it is
  // the one running (then once it returns).
  void cancelled(std::uint32_t slot);
  // Loop thread: no timer runs again.
  void stop();
  bool stopped() const noexcept { return stopped_; }
  std::size_t armed() const noexcept { return armed_; }

 private:
  struct Entry {
    UniqueFunction<void()> fn;
    Clock::time_point due;
    Clock::duration period{0};
    std::uint32_t generation = 0;
    bool armed = false;
    bool running = false;
  };
  static std::uint64_t key(TimerTable::Claim id) noexcept;
  void push(std::uint32_t slot);
  void drop(std::uint32_t slot);

  EventLoop& loop_;
  TimerTable& table_;
  DeadlineHeap& heap_;
  std::vector<Entry> entries_;  // by slot; a running function is moved out of it first
  std::size_t armed_ = 0;
  bool stopped_ = false;
};

}  // namespace actnet::detail
