#pragma once
// SocketAddress is a resolved address the kernel understands (sockaddr_in, sockaddr_in6 or
// sockaddr_un) held by value, so it can be copied across threads, compared and printed.
// It is what sockets bind, connect and accept with; parsing "tcp://host:port" into one is
// the address parser's job.

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "actnet/export.hpp"

namespace actnet::io {

/// A socket address of any family (sockaddr_storage and its length): a plain value, safe to
/// copy across threads.
class ACTNET_API SocketAddress {
 public:
  /// An empty address (AF_UNSPEC).
  SocketAddress() noexcept : len_(0) { storage_.ss_family = AF_UNSPEC; }
  /// Copies `len` bytes of `addr` (at most sizeof(sockaddr_storage)).
  SocketAddress(const sockaddr* addr, socklen_t len) noexcept;

  /// AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC when empty.
  int family() const noexcept { return storage_.ss_family; }
  /// Whether it holds no address.
  bool empty() const noexcept { return family() == AF_UNSPEC; }

  /// For bind(), connect(), sendto(): the address.
  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  /// For accept(), getsockname(): where the kernel writes the address.
  sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  /// The address's length in bytes.
  socklen_t size() const noexcept { return len_; }
  /// For accept()/getsockname(): the capacity to pass, then set_size() with what came back.
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }
  /// Sets the length the kernel reported.
  void set_size(socklen_t len) noexcept { len_ = len; }

  /// 0 for unix addresses.
  std::uint16_t port() const noexcept;
  /// "127.0.0.1:9000", "[::1]:9000", "/run/app.sock", "@abstract", or "" when empty.
  std::string to_string() const;

  /// The same length and the same address bytes.
  friend ACTNET_API bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;

 private:
  sockaddr_storage storage_{};
  socklen_t len_;
};

}  // namespace actnet::io
