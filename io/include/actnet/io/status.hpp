#pragma once
// Status is the Result of an operation that has nothing to return but can fail (a socket
// option the kernel refused, an epoll_ctl on a closed fd). errno_error() turns an errno into
// the Error every io function reports: the code in the system category, so callers compare
// it with std::errc, and a message naming the call, the option and what the errno means.

#include <string>
#include <variant>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"

namespace actnet::io {

/// The Result of an operation that returns nothing but can fail.
using Status = Result<std::monostate>;

/// A successful Status.
inline Status ok_status() noexcept {
  return std::monostate{};
}

/// `what` names the call and its subject, e.g. "setsockopt(TCP_NODELAY) on fd 7"; the message
/// becomes "setsockopt(TCP_NODELAY) on fd 7: Protocol not available". Any thread.
ACTNET_API Error errno_error(int err, std::string what);

}  // namespace actnet::io
