#pragma once
// Acceptor takes every pending connection off a listener for whichever actor owns it: the
// supervisor, or a loop when listeners are per-loop (reuse_port). When the process is out
// of file descriptors it sheds each new connection through a spare descriptor (muduo's
// trick) instead of leaving the listener readable and spinning, and says so once per spell
// rather than once per connection. Used by its owner's thread only.

#include <memory>
#include <string>
#include <utility>

#include "actnet/io/reserve_fd.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket.hpp"
#include "engine_core.hpp"

namespace actnet::detail {

class Acceptor {
 public:
  // `who` prefixes its log lines ("loop 2: ", or "" for the supervisor).
  Acceptor(EngineCore& core, std::string who);

  // Owner's thread: accepts until the listener has nothing pending, handing each
  // connection to `on_accepted(io::Accepted&&)`.
  template <class F>
  void drain(int listen_fd, F&& on_accepted) {
    for (;;) {
      auto accepted = io::accept_one(listen_fd);
      if (!accepted) {
        if (shed(listen_fd, accepted.error())) continue;
        return;
      }
      if (!accepted->has_value()) return;  // EAGAIN: nothing pending
      shed_logged_ = false;
      core_.accepted.fetch_add(1, std::memory_order_relaxed);
      on_accepted(std::move(**accepted));
    }
  }

 private:
  // After a failed accept: true when a connection was shed and accepting may go on.
  bool shed(int listen_fd, const Error& error);

  EngineCore& core_;
  std::string who_;
  std::unique_ptr<io::ReserveFd> reserve_;
  bool shed_logged_ = false;
};

}  // namespace actnet::detail
