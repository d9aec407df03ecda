#pragma once
// Test support: a blocking UDP socket with a receive timeout, so a UDP test fails instead of
// hanging when a datagram never comes back. Plain POSIX sockets, nothing from actnet on this
// side. Loopback only.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "actnet/io/socket_address.hpp"

class UdpTestSocket {
 public:
  // An unconnected socket of `family`, bound to `bind_to` when given (else to an ephemeral
  // port on first send).
  explicit UdpTestSocket(int family, int timeout_ms = 2'000,
                         const actnet::io::SocketAddress* bind_to = nullptr) {
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    set_timeout(timeout_ms);
    const int big = 1 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (bind_to != nullptr && ::bind(fd_, bind_to->data(), bind_to->size()) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::runtime_error("bind: " + std::string(std::strerror(err)));
    }
  }
  UdpTestSocket(const UdpTestSocket&) = delete;
  UdpTestSocket& operator=(const UdpTestSocket&) = delete;
  ~UdpTestSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const { return fd_; }

  void set_timeout(int timeout_ms) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // connect(): afterwards only datagrams from `peer` arrive, and send() goes there.
  void connect(const actnet::io::SocketAddress& peer) {
    if (::connect(fd_, peer.data(), peer.size()) != 0)
      throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
  }

  actnet::io::SocketAddress local() const {
    actnet::io::SocketAddress a;
    socklen_t len = actnet::io::SocketAddress::capacity();
    ::getsockname(fd_, a.data(), &len);
    a.set_size(len);
    return a;
  }

  void send(std::string_view bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("send: " + std::string(std::strerror(errno)));
  }
  void send_to(const actnet::io::SocketAddress& to, std::string_view bytes) {
    if (::sendto(fd_, bytes.data(), bytes.size(), 0, to.data(), to.size()) !=
        static_cast<ssize_t>(bytes.size()))
      throw std::runtime_error("sendto: " + std::string(std::strerror(errno)));
  }

  // The next datagram, or nullopt after the timeout. `from` gets its sender.
  std::optional<std::string> recv(actnet::io::SocketAddress* from = nullptr) {
    std::string buf(70'000, '\0');
    actnet::io::SocketAddress peer;
    socklen_t len = actnet::io::SocketAddress::capacity();
    for (;;) {
      const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, peer.data(), &len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::nullopt;
      peer.set_size(len);
      if (from != nullptr) *from = peer;
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
  }

 private:
  int fd_ = -1;
};
