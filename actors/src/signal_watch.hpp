#pragma once
// SignalWatch turns SIGINT/SIGTERM into a flag and a wake-up of the supervisor's poller,
// for Options::handle_signals. The handler only stores the signal number and writes an
// eventfd, both async-signal-safe; the supervisor does the rest on its own thread. The
// previous handlers come back when the watch ends.

#include "actnet/runtime/wakeup_fd.hpp"

namespace actnet::detail {

class SignalWatch {
 public:
  // Supervisor thread. Throws std::system_error when the handlers cannot be installed.
  SignalWatch();
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  int fd() const noexcept { return wakeup_.fd(); }
  // Supervisor thread: the signal received since the last call, or 0.
  int take() noexcept;

 private:
  WakeupFd wakeup_;
  int slot_ = -1;
};

}  // namespace actnet::detail
