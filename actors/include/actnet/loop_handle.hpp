#pragma once
// LoopHandle names an event loop for work that must come back to it later — the answer to
// an ask(), the `then` of an offload(). It is a small copyable value (the loop's mailbox,
// shared), safe to keep on any thread and after the loop stopped: a post then fails
// instead of reaching freed memory.

#include <chrono>
#include <memory>

#include "actnet/export.hpp"
#include "actnet/runtime/unique_function.hpp"
#include "actnet/timer_handle.hpp"

namespace actnet {

namespace detail {
class LoopInbox;
}

/// Names an event loop for work that must come back to it later (an ask() answer, an
/// offload() `then`): copyable, safe on any thread and after the loop stopped.
class ACTNET_API LoopHandle {
 public:
  LoopHandle() = default;  ///< names no loop: post() fails

  /// Any thread: the loop whose thread calls it (any engine's or client's), or an empty
  /// handle off every loop.
  static LoopHandle current();

  /// Any thread: runs `task` on the loop, after what is already queued there. False when the
  /// loop has stopped (or the handle is empty): `task` was not run and is destroyed here.
  bool post(UniqueFunction<void()> task) const;

  /// Any thread: whether this is the calling thread's loop.
  bool is_current() const;

  // ---- timers. `fn` runs on this loop's thread, between its I/O (step 4 of the loop's
  // turn), so it may use the loop's connections and actors as a handler does. Costs: on the
  // loop itself no message and no syscall (the loop's deadline heap, which also sets its
  // epoll_wait timeout); from another thread one mailbox message to hand `fn` over. An
  // exception escaping `fn` is logged (with the loop) and does not stop the loop.
  // Timers end when the engine's stop reaches the loop (its drain begins, before the
  // connections are flushed and closed): a one-shot not yet run never runs, an `every`
  // stops, and the functions are destroyed on the loop. schedule/every on a loop that has
  // stopped (or an empty handle) return an empty TimerHandle and destroy `fn` here.

  /// Any thread: runs `fn` once on this loop, `delay` from now (never earlier; up to one
  /// turn later, more if the loop is busy). A zero or negative delay runs it on the loop's
  /// next turn.
  TimerHandle schedule(std::chrono::steady_clock::duration delay, UniqueFunction<void()> fn) const;
  /// Any thread: runs `fn` on this loop every `period`, the first time one period from now.
  /// Runs stay on the grid start + k·period (no drift); periods a busy loop missed are
  /// skipped rather than run in a burst. A run that throws is logged and the timer keeps
  /// going (as on_tick does). A period that is not positive schedules nothing (empty handle).
  TimerHandle every(std::chrono::steady_clock::duration period, UniqueFunction<void()> fn) const;

  /// False for an empty handle, which names no loop.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  /// The same loop.
  friend bool operator==(const LoopHandle&, const LoopHandle&) = default;

 private:
  friend class Conn;
  friend class Engine;
  TimerHandle arm(std::chrono::steady_clock::duration delay,
                  std::chrono::steady_clock::duration period, UniqueFunction<void()> fn) const;
  explicit LoopHandle(std::shared_ptr<detail::LoopInbox> inbox) : inbox_(std::move(inbox)) {}
  std::shared_ptr<detail::LoopInbox> inbox_;
};

}  // namespace actnet
