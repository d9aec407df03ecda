#pragma once
// ConnRef is how any thread reaches a connection: a small copyable value naming the
// connection's loop (by its mailbox), its slot and its generation — never a pointer to the
// connection. Each call is a message to the loop, and its optional completion runs on the
// loop with the outcome. A ref whose connection has closed completes with
// Errc::connection_closed and can never reach a newer connection that reuses the slot or
// the file descriptor (the class of bug behind gnet #621 and #465).
//
// Used on the connection's own loop (from one of its handlers, or an actor hosted there),
// write, writev, close and shutdown_write take the direct path: they act at once, with no
// mailbox hop.
// wake and send always go through the mailbox, so a handler that wakes itself cannot recurse.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "actnet/action.hpp"
#include "actnet/export.hpp"
#include "actnet/receives.hpp"
#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

class Conn;
class EventHandler;

namespace detail {
class LoopInbox;
}

/// A connection's handle for any thread: the loop's mailbox, a slot and a generation, never
/// a pointer. Each call is a message to the loop; a ref whose connection closed fails with
/// Errc::connection_closed and never reaches a newer connection in the same slot.
class ACTNET_API ConnRef {
 public:
  ConnRef() = default;  ///< names nothing: every call fails with connection_closed

  /// Any thread. Queues bytes for the connection. `done` runs once, on the loop, when the
  /// bytes were handed to the kernel (success), or with the error that stopped them
  /// (connection_closed, shutting_down, ...). The return value says whether the message was
  /// queued; when it was not, `done` has already run on this thread.
  std::error_code async_write(std::string bytes, Completion done = {}) const;
  /// async_write() of a copy of `bytes`.
  std::error_code async_write(std::string_view bytes, Completion done = {}) const {
    return async_write(std::string(bytes), std::move(done));
  }
  /// async_write() of a copy of the NUL-terminated `bytes`.
  std::error_code async_write(const char* bytes, Completion done = {}) const {
    return async_write(std::string(bytes), std::move(done));
  }
  /// Any thread: several buffers, written in order as one.
  std::error_code async_writev(std::vector<std::string> parts, Completion done = {}) const;

  /// Any thread: runs the handler's on_traffic for the connection even with no new bytes.
  std::error_code wake(Completion done = {}) const;

  /// Any thread: closes the connection (on_close runs on its loop).
  std::error_code close(Completion done = {}) const;

  /// Any thread: delivers `message` to the connection's handler on its loop, as
  /// Receives<T>::on_message(conn, message). `done` runs there after it returned (success),
  /// with Errc::unsupported when the handler does not receive T, handler_failed when it
  /// threw, connection_closed or shutting_down when the connection or loop is gone.
  template <class T>
  std::error_code send(T message, Completion done = {}) const {
    return send_erased(
        [m = std::move(message)](EventHandler& handler, Conn& conn, bool& understood) mutable {
          auto* receiver = dynamic_cast<Receives<T>*>(&handler);
          understood = receiver != nullptr;
          return receiver != nullptr ? receiver->on_message(conn, m) : Action::none;
        },
        std::move(done));
  }

  /// Any thread: Conn::shutdown_write() on the loop, so after the bytes this thread queued
  /// before it (the mailbox is FIFO per producer). `done` runs when the write side was shut
  /// (those bytes reached the kernel first), or with the error that stopped it.
  std::error_code shutdown_write(Completion done = {}) const;

  /// Any thread: Conn::set_read_deadline / set_write_deadline / set_deadline on the loop
  /// (one message; on the connection's own loop, at once). A time point, not a duration,
  /// so the hop to the loop does not move it; `{}` clears. `done` runs on the loop once it
  /// is set, or with connection_closed / shutting_down.
  std::error_code set_read_deadline(std::chrono::steady_clock::time_point when,
                                    Completion done = {}) const;
  /// Any thread: Conn::set_write_deadline on the loop (see set_read_deadline()).
  std::error_code set_write_deadline(std::chrono::steady_clock::time_point when,
                                     Completion done = {}) const;
  /// Any thread: Conn::set_deadline on the loop, both deadlines at once (see
  /// set_read_deadline()).
  std::error_code set_deadline(std::chrono::steady_clock::time_point when,
                               Completion done = {}) const;

  // Any thread:
  /// The connection's slot in its loop (reused after it closes).
  std::uint32_t slot() const noexcept { return slot_; }
  /// The connection's generation in its slot: bumped each time the slot is reused.
  std::uint32_t generation() const noexcept { return generation_; }
  /// False for a default-constructed ref, which names nothing.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  /// Same loop, slot and generation: the same connection.
  friend bool operator==(const ConnRef& a, const ConnRef& b) noexcept {
    return a.inbox_ == b.inbox_ && a.slot_ == b.slot_ && a.generation_ == b.generation_;
  }

 private:
  friend class Conn;
  using Delivery = UniqueFunction<Action(EventHandler&, Conn&, bool& understood)>;
  std::error_code send_erased(Delivery deliver, Completion done) const;

  ConnRef(std::shared_ptr<detail::LoopInbox> inbox, std::uint32_t slot, std::uint32_t generation)
      : inbox_(std::move(inbox)), slot_(slot), generation_(generation) {}

  std::shared_ptr<detail::LoopInbox> inbox_;  // outlives the loop: late sends fail cleanly
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
};

}  // namespace actnet
