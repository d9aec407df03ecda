#pragma once
// The socket calls a loop makes, as free functions over UniqueFd: open, bind and listen,
// start and finish a non-blocking connect, accept, addresses, half-close. They exist so that
// every socket actnet creates is non-blocking and close-on-exec from its first instant (a
// loop must never block, and a child process must never inherit a connection), and so that
// every failure is a Result naming the call and the address. Each call is made by the loop
// thread (or the supervisor, at boot) that owns the fd; nothing here keeps state except the
// cached listen backlog.

#include <optional>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"

namespace actnet::io {

/// How a listening or UDP socket is prepared before bind().
struct ACTNET_API BindOptions {
  bool reuse_addr = true;       ///< restart at once although old connections sit in TIME_WAIT
  bool reuse_port = false;      ///< one listener per loop on the same port (SO_REUSEPORT)
  std::optional<bool> v6_only;  ///< AF_INET6 only; unset keeps net.ipv6.bindv6only
  int backlog = 0;              ///< listen(); 0 means listen_backlog()
};

/// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0). Any thread.
ACTNET_API Result<UniqueFd> open_socket(int family, int type);

/// A TCP (SOCK_STREAM) socket bound to `address` (family taken from it) and listening.
/// Port 0 picks a free port: read it back with local_address().
ACTNET_API Result<UniqueFd> listen_tcp(const SocketAddress& address,
                                       const BindOptions& options = {});

/// A UDP socket bound to `address`; options.backlog is ignored.
ACTNET_API Result<UniqueFd> bind_udp(const SocketAddress& address, const BindOptions& options = {});

/// net.core.somaxconn, read once from /proc (SOMAXCONN when unreadable) and cached: the
/// largest backlog the kernel will honour. Any thread.
ACTNET_API int listen_backlog();

/// A stream connection on its way. When `in_progress`, wait until the poller reports the fd
/// writable (or error/hang-up), then call finish_connect(). Unix sockets usually connect at
/// once (in_progress false).
struct ACTNET_API Connecting {
  UniqueFd fd;               ///< the socket, non-blocking and close-on-exec
  bool in_progress = false;  ///< true: wait for writable, then finish_connect()
};
/// Non-blocking connect of a new SOCK_STREAM socket to `peer` (TCP or unix).
ACTNET_API Result<Connecting> start_connect(const SocketAddress& peer);
/// Reads SO_ERROR: ok when the connect succeeded, else why it failed (ECONNREFUSED, ...).
ACTNET_API Status finish_connect(int fd);

/// A new SOCK_DGRAM socket connected to `peer`: UDP has no handshake, so this never waits;
/// it only fixes the peer (and picks the local address and port). Whether anybody listens
/// shows later, as ECONNREFUSED on a send or receive.
ACTNET_API Result<UniqueFd> connect_udp(const SocketAddress& peer);

/// One accepted connection: non-blocking and close-on-exec (accept4), with its peer address.
struct ACTNET_API Accepted {
  UniqueFd fd;         ///< the connection's socket
  SocketAddress peer;  ///< the peer's address
};
/// accept4 on a non-blocking listener. nullopt when nothing is pending (EAGAIN), so the
/// acceptor's "drain until empty" loop needs no error allocation. EMFILE/ENFILE come back as
/// errors: hand the listener to ReserveFd::shed() (reserve_fd.hpp) or it stays readable.
/// A connection reset before it was accepted (ECONNABORTED) is skipped, not reported.
ACTNET_API Result<std::optional<Accepted>> accept_one(int listen_fd);

/// getsockname.
ACTNET_API Result<SocketAddress> local_address(int fd);
/// getpeername.
ACTNET_API Result<SocketAddress> peer_address(int fd);

/// shutdown(SHUT_WR): send FIN after what is queued, keep reading what the peer still sends.
ACTNET_API Status shutdown_write(int fd);

}  // namespace actnet::io
