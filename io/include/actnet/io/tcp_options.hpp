#pragma once
// TcpOptions is the set of socket options every TCP connection gets as soon as it exists, and
// the one place where actnet's defaults for them live. Like gnet, TCP_NODELAY is on by default:
// an event-driven server writes whole replies, so Nagle only adds latency. The acceptor
// (for accepted connections) and the client connector (for dialed ones) call apply_tcp_options
// on the loop thread that owns the new fd; unix sockets never get them.

#include <optional>

#include "actnet/export.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/io/status.hpp"

namespace actnet::io {

/// The socket options every new TCP connection gets (apply_tcp_options), from Options.
struct ACTNET_API TcpOptions {
  bool no_delay = true;                 ///< TCP_NODELAY: on by default, see above
  std::optional<KeepAlive> keep_alive;  ///< unset: the kernel default (off)
  int recv_buffer = 0;                  ///< SO_RCVBUF bytes; 0 leaves the kernel's autotuning
  int send_buffer = 0;                  ///< SO_SNDBUF bytes; 0 leaves the kernel's autotuning
  std::optional<Linger> linger;         ///< unset: the kernel default (graceful close)
};

/// Applies `options` to the connected TCP socket `fd`, in the order above; stops at and returns
/// the first refusal. The thread that owns `fd`.
ACTNET_API Status apply_tcp_options(int fd, const TcpOptions& options);

}  // namespace actnet::io
