#pragma once
// LoopHandle names an event loop for work that must come back to it later — the answer to
// an ask(), the `then` of an offload(). It is a small copyable value (the loop's mailbox,
// shared), safe to keep on any thread and after the loop stopped: a post then fails
// instead of reaching freed memory.

#include <memory>

#include "actnet/runtime/unique_function.hpp"

namespace actnet {

namespace detail {
class LoopInbox;
}

/// Names an event loop for work that must come back to it later (an ask() answer, an
/// offload() `then`): copyable, safe on any thread and after the loop stopped.
class LoopHandle {
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

  /// False for an empty handle, which names no loop.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  /// The same loop.
  friend bool operator==(const LoopHandle&, const LoopHandle&) = default;

 private:
  friend class Conn;
  explicit LoopHandle(std::shared_ptr<detail::LoopInbox> inbox) : inbox_(std::move(inbox)) {}
  std::shared_ptr<detail::LoopInbox> inbox_;
};

}  // namespace actnet
