// User timers from the caller's side: LoopHandle::schedule/every claim a slot in the loop's
// TimerTable (any thread, lock-free) and arm it on the loop — directly when called there,
// else by one message; TimerHandle::cancel flips the slot's state.

#include "actnet/timer_handle.hpp"

#include "actnet/loop_handle.hpp"
#include "event_loop.hpp"
#include "loop_message.hpp"

namespace actnet {
namespace {

using Clock = std::chrono::steady_clock;

// What crosses to the loop with a timer scheduled from another thread. If the message never
// runs (the loop stopped first and rejected it), the destructor settles the claim, so the
// handle reads not pending and cancel() returns false.
struct Install {
  Install(std::shared_ptr<detail::LoopInbox> in, detail::TimerTable::Claim i, Clock::time_point d,
          Clock::duration p, UniqueFunction<void()> f)
      : inbox(std::move(in)), id(i), due(d), period(p), fn(std::move(f)) {}
  Install(Install&& other) noexcept
      : inbox(std::move(other.inbox)),
        id(other.id),
        due(other.due),
        period(other.period),
        fn(std::move(other.fn)) {}
  Install& operator=(Install&&) = delete;
  ~Install() {
    if (inbox) (void)inbox->timers.finish(id);
  }

  void run(detail::EventLoop& loop) {
    loop.timers().install(id, due, period, std::move(fn));
    inbox.reset();
  }

  std::shared_ptr<detail::LoopInbox> inbox;
  detail::TimerTable::Claim id;
  Clock::time_point due;
  Clock::duration period;
  UniqueFunction<void()> fn;
};

}  // namespace

TimerHandle LoopHandle::schedule(Clock::duration delay, UniqueFunction<void()> fn) const {
  return arm(delay, Clock::duration::zero(), std::move(fn));
}

TimerHandle LoopHandle::every(Clock::duration period, UniqueFunction<void()> fn) const {
  if (period <= Clock::duration::zero()) return {};
  return arm(period, period, std::move(fn));
}

TimerHandle LoopHandle::arm(Clock::duration delay, Clock::duration period,
                            UniqueFunction<void()> fn) const {
  if (!inbox_ || !fn) return {};
  const Clock::time_point due = Clock::now() + std::max(delay, Clock::duration::zero());
  detail::EventLoop* here = detail::EventLoop::current();
  const bool on_loop = here != nullptr && here->inbox() == inbox_;
  if (on_loop && here->timers().stopped()) return {};
  const auto id = inbox_->timers.claim();
  if (!id) return {};  // a million timers armed on one loop
  TimerHandle handle(inbox_, id->slot, id->generation);
  if (on_loop) {
    here->timers().install(*id, due, period, std::move(fn));
  } else {
    detail::LoopMessage message(
        detail::TaskMsg{[install = Install(inbox_, *id, due, period, std::move(fn))](
                            detail::EventLoop& loop) mutable { install.run(loop); }});
    if (inbox_->mailbox.push(std::move(message)) != PushResult::ok) return {};
  }
  return handle;
}

bool TimerHandle::cancel() const {
  if (!inbox_) return false;
  if (!inbox_->timers.cancel({slot_, generation_})) return false;
  // On its own loop the function can go now; elsewhere the loop drops it when it comes due.
  detail::EventLoop* here = detail::EventLoop::current();
  if (here != nullptr && here->inbox() == inbox_) here->timers().cancelled(slot_);
  return true;
}

bool TimerHandle::pending() const {
  return inbox_ && inbox_->timers.pending({slot_, generation_});
}

}  // namespace actnet
