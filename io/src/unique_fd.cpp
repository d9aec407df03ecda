#include "actnet/io/unique_fd.hpp"

#include <unistd.h>

namespace actnet::io {

void UniqueFd::reset(int fd) noexcept {
  const int old = std::exchange(fd_, fd);
  // Never retry close() on EINTR: on Linux the descriptor is released either way, and a
  // retry could close a descriptor another thread has just been given.
  if (old >= 0) ::close(old);
}

}  // namespace actnet::io
