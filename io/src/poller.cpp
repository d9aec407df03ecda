#include "actnet/io/poller.hpp"

#include "actnet/io/epoll_poller.hpp"

namespace actnet::io {

// The one place that picks a backend (muduo's DefaultPoller.cc): when io_uring or kqueue
// arrive, the choice by system or option goes here and the loop does not change.
Result<std::unique_ptr<Poller>> make_default_poller() {
  auto epoll = EpollPoller::open();
  if (!epoll) return epoll.error();
  return std::unique_ptr<Poller>(std::make_unique<EpollPoller>(std::move(*epoll)));
}

}  // namespace actnet::io
