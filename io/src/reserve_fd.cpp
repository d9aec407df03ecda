#include "actnet/io/reserve_fd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace actnet::io {

Result<UniqueFd> ReserveFd::open_spare() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, "open(/dev/null) for the spare descriptor");
  return UniqueFd(fd);
}

Result<ReserveFd> ReserveFd::open() {
  auto spare = open_spare();
  if (!spare) return spare.error();
  return ReserveFd(std::move(*spare));
}

bool ReserveFd::is_exhaustion(const Error& error) noexcept {
  // Categories compared by address, not through std::errc or error_category's operators:
  // this runs exactly when descriptors are gone, and UBSan's check of any member call on a
  // polymorphic object needs a pipe, so it would fail here in a sanitized build.
  const std::error_category* category = &error.code.category();
  if (category != &std::system_category() && category != &std::generic_category()) return false;
  return error.code.value() == EMFILE || error.code.value() == ENFILE;
}

Result<bool> ReserveFd::shed(int listen_fd) {
  // Free the slot. If the spare is already missing (a reopen failed), there is no slot to
  // free and accept4 below reports the exhaustion again.
  spare_.reset();
  bool shed_one = false;
  int accept_errno = 0;
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);  // the client reads EOF: refused for lack of descriptors
      shed_one = true;
    } else if (errno == EINTR || errno == ECONNABORTED) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      accept_errno = errno;
    }
    break;
  }
  auto spare = open_spare();
  if (accept_errno != 0) {
    if (spare) spare_ = std::move(*spare);
    return errno_error(accept_errno,
                       "accept4 on fd " + std::to_string(listen_fd) + " to shed a connection");
  }
  if (!spare) return spare.error();
  spare_ = std::move(*spare);
  return shed_one;
}

}  // namespace actnet::io
