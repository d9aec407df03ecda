#include "actnet/io/socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "actnet/io/socket_options.hpp"

namespace actnet::io {

namespace {

std::string call_on(const char* call, const SocketAddress& address) {
  std::string what = call;
  what += '(';
  what += address.to_string();
  what += ')';
  return what;
}

std::string call_on(const char* call, int fd) {
  std::string what = call;
  what += " on fd ";
  what += std::to_string(fd);
  return what;
}

// The option is set on `fd` but the error names the address: that is what the user chose.
Status prepare_for_bind(int fd, const SocketAddress& address, const BindOptions& options) {
  auto named = [&](Status s) -> Status {
    if (s) return s;
    return Error(s.error().code, s.error().message + " for " + address.to_string());
  };
  if (options.reuse_addr) {
    if (auto s = named(set_reuse_addr(fd, true)); !s) return s;
  }
  if (options.reuse_port) {
    if (auto s = named(set_reuse_port(fd, true)); !s) return s;
  }
  if (options.v6_only && address.family() == AF_INET6) {
    if (auto s = named(set_v6_only(fd, *options.v6_only)); !s) return s;
  }
  return ok_status();
}

Result<UniqueFd> bound_socket(int type, const SocketAddress& address, const BindOptions& options) {
  auto fd = open_socket(address.family(), type);
  if (!fd) return fd.error();
  if (auto s = prepare_for_bind(fd->get(), address, options); !s) return s.error();
  if (::bind(fd->get(), address.data(), address.size()) != 0) {
    return errno_error(errno, call_on("bind", address));
  }
  return std::move(*fd);
}

// Errors that accept(2) reports for one pending connection, not for the listener: the man
// page asks to treat them like EAGAIN and try the next one.
bool is_per_connection_error(int err) {
  switch (err) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPERM:  // a firewall rule refused this one connection
      // Not EOPNOTSUPP: it also means "this listener is not a stream socket", and retrying that
      // would never end.
      return true;
    default:
      return false;
  }
}

int read_somaxconn() {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  int value = 0;
  if (in >> value && value > 0) return value;
  return SOMAXCONN;
}

}  // namespace

Result<UniqueFd> open_socket(int family, int type) {
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return errno_error(
        errno, "socket(family " + std::to_string(family) + ", type " + std::to_string(type) + ")");
  }
  return UniqueFd(fd);
}

Result<UniqueFd> listen_tcp(const SocketAddress& address, const BindOptions& options) {
  auto fd = bound_socket(SOCK_STREAM, address, options);
  if (!fd) return fd;
  const int backlog = options.backlog > 0 ? options.backlog : listen_backlog();
  if (::listen(fd->get(), backlog) != 0) return errno_error(errno, call_on("listen", address));
  return fd;
}

Result<UniqueFd> bind_udp(const SocketAddress& address, const BindOptions& options) {
  return bound_socket(SOCK_DGRAM, address, options);
}

int listen_backlog() {
  // A function-local static: read once, thread-safe initialization, no global constructor.
  static const int backlog = read_somaxconn();
  return backlog;
}

Result<Connecting> start_connect(const SocketAddress& peer) {
  auto fd = open_socket(peer.family(), SOCK_STREAM);
  if (!fd) return fd.error();
  if (::connect(fd->get(), peer.data(), peer.size()) == 0) {
    return Connecting{std::move(*fd), false};
  }
  // EINTR: the connect goes on in the background, exactly like EINPROGRESS (connect(2)).
  if (errno == EINPROGRESS || errno == EINTR) return Connecting{std::move(*fd), true};
  return errno_error(errno, call_on("connect", peer));
}

Status finish_connect(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return errno_error(errno, call_on("getsockopt(SO_ERROR)", fd));
  }
  if (err != 0) {
    std::string what = call_on("connect", fd);
    if (auto peer = peer_address(fd); peer) what += " to " + peer->to_string();
    return errno_error(err, std::move(what));
  }
  return ok_status();
}

Result<UniqueFd> connect_udp(const SocketAddress& peer) {
  auto fd = open_socket(peer.family(), SOCK_DGRAM);
  if (!fd) return fd.error();
  int rc;
  while ((rc = ::connect(fd->get(), peer.data(), peer.size())) != 0 && errno == EINTR) {
  }
  if (rc != 0) return errno_error(errno, call_on("connect", peer));
  return fd;
}

Result<std::optional<Accepted>> accept_one(int listen_fd) {
  for (;;) {
    SocketAddress peer;
    socklen_t len = SocketAddress::capacity();
    const int fd = ::accept4(listen_fd, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      peer.set_size(len);
      return std::optional<Accepted>(Accepted{UniqueFd(fd), peer});
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<Accepted>();
    if (errno == EINTR || is_per_connection_error(errno)) continue;
    return errno_error(errno, call_on("accept4", listen_fd));
  }
}

Result<SocketAddress> local_address(int fd) {
  SocketAddress address;
  socklen_t len = SocketAddress::capacity();
  if (::getsockname(fd, address.data(), &len) != 0) {
    return errno_error(errno, call_on("getsockname", fd));
  }
  address.set_size(len);
  return address;
}

Result<SocketAddress> peer_address(int fd) {
  SocketAddress address;
  socklen_t len = SocketAddress::capacity();
  if (::getpeername(fd, address.data(), &len) != 0) {
    return errno_error(errno, call_on("getpeername", fd));
  }
  address.set_size(len);
  return address;
}

Status shutdown_write(int fd) {
  if (::shutdown(fd, SHUT_WR) != 0) return errno_error(errno, call_on("shutdown(SHUT_WR)", fd));
  return ok_status();
}

}  // namespace actnet::io
