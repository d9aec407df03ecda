#pragma once
// TimerHandle names a user timer on an event loop (LoopHandle::schedule/every,
// Engine::schedule/every) so that any thread can cancel it. Like ConnRef it is a small
// copyable value — the loop's shared inbox, a slot and a generation, never a pointer to the
// timer — so it stays safe after the timer ran, after its slot was reused by another timer
// (the generation no longer matches) and after the engine stopped.

#include <cstdint>
#include <memory>

#include "actnet/export.hpp"

namespace actnet {

namespace detail {
class LoopInbox;
}

/// Names one user timer (LoopHandle::schedule / every, Engine::schedule / every) so that any
/// thread can cancel it: a small copyable value, safe after the timer ran, after its slot was
/// reused and after the engine stopped. Copies name the same timer.
class ACTNET_API TimerHandle {
 public:
  /// An empty handle: names no timer (what schedule returns when nothing was scheduled).
  TimerHandle() = default;

  /// Any thread. Stops the timer: a one-shot that has not started never runs; an `every`
  /// runs no more (a run already in progress finishes). True when this call stopped it;
  /// false — and nothing happens — when a one-shot already started, the timer was already
  /// cancelled, its loop stopped, or the handle is empty. On the timer's own loop its
  /// function is destroyed at once (after it returns, if it is the one running); cancelled
  /// from another thread, it is destroyed on the loop when its due time comes.
  bool cancel() const;

  /// Any thread: whether the timer may still run (neither started as a one-shot, nor
  /// cancelled, nor stopped with its loop).
  bool pending() const;

  /// False for an empty handle, which names no timer.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }

 private:
  friend class LoopHandle;
  TimerHandle(std::shared_ptr<detail::LoopInbox> inbox, std::uint32_t slot,
              std::uint32_t generation)
      : inbox_(std::move(inbox)), slot_(slot), generation_(generation) {}

  std::shared_ptr<detail::LoopInbox> inbox_;
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
};

}  // namespace actnet
