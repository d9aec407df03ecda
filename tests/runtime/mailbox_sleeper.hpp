#pragma once
// Test support: the consumer side of a Mailbox the way an event loop drives it — drain,
// announce sleep, epoll_wait on the mailbox's eventfd, wake. Counts waits that timed out
// while the test expected a message (a lost wake-up).

#include <sys/epoll.h>
#include <unistd.h>

#include <stdexcept>

#include "actnet/runtime/mailbox.hpp"

template <class T>
class MailboxSleeper {
 public:
  explicit MailboxSleeper(actnet::Mailbox<T>& mailbox)
      : mailbox_(mailbox), epfd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (epfd_ < 0) throw std::runtime_error("epoll_create1 failed");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = mailbox.wakeup_fd();
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, mailbox.wakeup_fd(), &ev) != 0)
      throw std::runtime_error("epoll_ctl failed");
  }
  ~MailboxSleeper() { close(epfd_); }

  // One turn: handles what is queued (up to `budget`); if nothing was, sleeps until woken
  // or `timeout_ms` passes. Returns how many messages it handled.
  template <class F>
  std::size_t turn(F&& handle, int timeout_ms, std::size_t budget = 256) {
    std::size_t n = mailbox_.drain(budget, handle);
    if (n == 0) sleep(timeout_ms);
    return n;
  }

  // Sleeps on the mailbox's eventfd unless a message is already there, as a loop does.
  void sleep(int timeout_ms) {
    if (!mailbox_.prepare_to_sleep()) return;
    ++sleeps;
    epoll_event ev{};
    const int ready = epoll_wait(epfd_, &ev, 1, timeout_ms);
    mailbox_.awake();
    if (ready > 0) mailbox_.acknowledge_wakeup();
    if (ready == 0 && timeout_ms > 0) ++timeouts;
  }

  std::size_t sleeps = 0;
  std::size_t timeouts = 0;

 private:
  actnet::Mailbox<T>& mailbox_;
  int epfd_;
};
