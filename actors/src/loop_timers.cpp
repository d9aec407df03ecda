#include "loop_timers.hpp"

#include <algorithm>

#include "event_loop.hpp"

namespace actnet::detail {

std::uint64_t LoopTimers::key(TimerTable::Claim id) noexcept {
  return kKeyBit | (std::uint64_t{id.generation & TimerTable::kGenerationMask} << 32) | id.slot;
}

void LoopTimers::install(TimerTable::Claim id, Clock::time_point due, Clock::duration period,
                         UniqueFunction<void()> fn) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (stopped_ || !table_.pending(id)) {  // cancelled before it reached the loop
    (void)table_.finish(id);
    table_.release(id.slot);
    return;
  }
  if (id.slot >= entries_.size()) entries_.resize(std::size_t{id.slot} + 1);
  Entry& e = entries_[id.slot];
  e.fn = std::move(fn);
  // Never due at the turn's own clock: a timer scheduled by a timer with no delay runs next
  // turn, after I/O, instead of looping inside this one.
  e.due = std::max(due, loop_.now() + Clock::duration(1));
  e.period = period;
  e.generation = id.generation;
  e.armed = true;
  e.running = false;
  ++armed_;
  push(id.slot);
}

void LoopTimers::push(std::uint32_t slot) {
  const Entry& e = entries_[slot];
  heap_.push(e.due, key({slot, e.generation}));
}

void LoopTimers::drop(std::uint32_t slot) {
  Entry& e = entries_[slot];
  e.armed = false;
  e.running = false;
  --armed_;
  UniqueFunction<void()> fn = std::move(e.fn);  // destroyed last: it may schedule or cancel
  table_.release(slot);
}

void LoopTimers::expire(std::uint64_t k) {
  const auto slot = static_cast<std::uint32_t>(k);
  const auto generation = static_cast<std::uint32_t>(k >> 32) & TimerTable::kGenerationMask;
  if (slot >= entries_.size()) return;
  Entry& e = entries_[slot];
  if (!e.armed || e.running || e.generation != generation) return;  // stale entry
  const TimerTable::Claim id{slot, generation};
  const bool one_shot = e.period <= Clock::duration::zero();
  // A one-shot is done as it starts (cancel() now returns false); an `every` stays pending.
  if (one_shot ? !table_.finish(id) : !table_.pending(id)) {
    (void)table_.finish(id);
    drop(slot);
    return;
  }
  // Moved out while it runs: it may schedule timers (entries_ grows) or cancel itself.
  UniqueFunction<void()> fn = std::move(e.fn);
  e.running = true;
  (void)loop_.call("a timer", nullptr, [&] {
    fn();
    return Action::none;
  });
  Entry& after = entries_[slot];
  after.running = false;
  if (one_shot || stopped_ || !table_.pending(id)) {
    (void)table_.finish(id);
    after.fn = std::move(fn);
    drop(slot);
    return;
  }
  after.fn = std::move(fn);
  // The next run is a whole number of periods after the first: no drift, and periods a
  // busy loop missed are skipped, not run in a burst.
  const Clock::time_point now = Clock::now();
  after.due += after.period;
  if (after.due <= now) after.due += after.period * ((now - after.due) / after.period + 1);
  push(slot);
}

void LoopTimers::cancelled(std::uint32_t slot) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (slot >= entries_.size() || !entries_[slot].armed || entries_[slot].running) return;
  drop(slot);  // its heap entry is left behind, stale: the generation no longer matches
}

void LoopTimers::stop() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (stopped_) return;
  stopped_ = true;
  for (std::uint32_t slot = 0; slot < entries_.size(); ++slot) {
    Entry& e = entries_[slot];
    if (!e.armed || e.running) continue;  // a running one is dropped when it returns
    (void)table_.finish({slot, e.generation});
    drop(slot);
  }
}

}  // namespace actnet::detail
