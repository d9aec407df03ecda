#pragma once
// WakeupFd is a doorbell: an eventfd that producers ring to wake a consumer sleeping in
// epoll_wait. The consumer registers fd() in its poller like any other descriptor. It owns
// the descriptor and closes it once.

#include <atomic>
#include <cstdint>

#include "actnet/export.hpp"

namespace actnet {

/// A doorbell: an eventfd that producers ring to wake a consumer sleeping in epoll_wait.
class ACTNET_API WakeupFd {
 public:
  /// Throws std::system_error when the kernel refuses an eventfd (fd limit reached).
  WakeupFd();
  ~WakeupFd();
  WakeupFd(const WakeupFd&) = delete;
  WakeupFd& operator=(const WakeupFd&) = delete;

  /// Any thread.
  int fd() const noexcept { return fd_; }

  /// Any thread: makes fd() readable. Never blocks.
  void notify() noexcept;

  /// Consumer thread: resets fd() to not readable; true when it had been rung.
  bool consume() noexcept;

  /// Any thread: how many times notify() wrote the eventfd (the cost being coalesced away).
  std::uint64_t notifications() const noexcept {
    return notifications_.load(std::memory_order_relaxed);
  }

 private:
  int fd_;
  std::atomic<std::uint64_t> notifications_{0};
};

}  // namespace actnet
