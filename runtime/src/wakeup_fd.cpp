#include "actnet/runtime/wakeup_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace actnet {

WakeupFd::WakeupFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd");
}

WakeupFd::~WakeupFd() {
  ::close(fd_);
}

void WakeupFd::notify() noexcept {
  notifications_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: it is readable already, which is all we want.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

bool WakeupFd::consume() noexcept {
  std::uint64_t count = 0;
  ssize_t n;
  while ((n = ::read(fd_, &count, sizeof count)) < 0 && errno == EINTR) {
  }
  return n == sizeof count && count > 0;
}

}  // namespace actnet
