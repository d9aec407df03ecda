#pragma once
// actnet's error codes. Every failure actnet reports is a std::error_code in the "actnet"
// category (or the system category, for errno values), so callers can compare, log and
// propagate them without exceptions.

#include <string>
#include <system_error>

#include "actnet/export.hpp"

namespace actnet {

/// actnet's error codes, in the "actnet" category (error_category()).
enum class Errc {
  ok = 0,
  mailbox_closed,        ///< the owner of a mailbox has stopped; the message was handed back
  actor_stopped,         ///< the actor a ref named is gone (its slot may hold a newer actor)
  actor_failed,          ///< the actor's receive() threw while handling the message
  connection_closed,     ///< the connection a ref named is gone (its fd may be reused)
  queue_full,            ///< a bounded queue is at capacity
  pool_released,         ///< the worker pool no longer takes jobs
  shutting_down,         ///< the engine is stopping or has stopped
  invalid_argument,      ///< an argument or option is out of range
  timed_out,             ///< a deadline passed first
  end_of_stream,         ///< the peer closed its side of the connection
  write_limit_exceeded,  ///< a connection's outbound bytes passed Options::write_hard_limit
  read_buffer_full,      ///< a connection's inbound bytes reached Options::read_buffer_cap unread
  unsupported,           ///< not possible with this configuration (e.g. dup() with many listeners)
  handler_failed,        ///< a handler callback threw; the connection was closed
  job_failed,            ///< an offloaded job threw (offload())
  no_reply,              ///< an asked actor let go of the Reply without answering (ask())
  write_shut_down,       ///< this side shut the connection's write side (Conn::shutdown_write)
};

/// Thread-safe; the category object lives for the whole program.
ACTNET_API const std::error_category& error_category() noexcept;

/// Makes `e` a std::error_code in actnet's category (also what lets an Errc compare with one).
inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace actnet

// A standard-library specialization, not actnet API (and beyond doxygen's parser):
/// \cond
template <>
struct std::is_error_code_enum<actnet::Errc> : std::true_type {};
/// \endcond
