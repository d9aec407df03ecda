#include "actnet/io/edge_read_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace actnet::io {

EdgeReadBudget::Outcome EdgeReadBudget::read(int fd, std::span<char> into) const noexcept {
  const std::size_t limit = std::min(chunk_, into.size());
  Outcome out;
  while (out.bytes < limit) {
    const ssize_t n = ::read(fd, into.data() + out.bytes, limit - out.bytes);
    if (n > 0) {
      out.bytes += static_cast<std::size_t>(n);
    } else if (n == 0) {
      out.end = End::eof;
      return out;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      out.end = End::drained;
      return out;
    } else {
      out.end = End::error;
      out.error_number = errno;
      return out;
    }
  }
  out.end = End::spent;
  return out;
}

std::span<const std::uint64_t> EdgeReadBudget::begin_turn() {
  ++turn_;
  // Swap rather than copy: both vectors keep their capacity from turn to turn.
  serving_.swap(next_);
  next_.clear();
  return serving_;
}

}  // namespace actnet::io
