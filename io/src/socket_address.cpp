#include "actnet/io/socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace actnet::io {

SocketAddress::SocketAddress(const sockaddr* addr, socklen_t len) noexcept
    : len_(std::min<socklen_t>(len, sizeof(sockaddr_storage))) {
  std::memcpy(&storage_, addr, len_);
}

std::uint16_t SocketAddress::port() const noexcept {
  switch (family()) {
    case AF_INET:
      return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6:
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
      return 0;
  }
}

std::string SocketAddress::to_string() const {
  char host[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET: {
      auto* in = reinterpret_cast<const sockaddr_in*>(&storage_);
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      std::string out(host);
      out += ':';
      out += std::to_string(port());
      return out;
    }
    case AF_INET6: {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      std::string out = "[";
      out += host;
      out += "]:";
      out += std::to_string(port());
      return out;
    }
    case AF_UNIX: {
      auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      const std::size_t offset = offsetof(sockaddr_un, sun_path);
      if (len_ <= offset) return "(unnamed)";
      const std::size_t n = len_ - offset;
      if (un->sun_path[0] == '\0') {  // abstract namespace
        std::string out = "@";
        out.append(un->sun_path + 1, n - 1);
        return out;
      }
      return std::string(un->sun_path, strnlen(un->sun_path, n));
    }
    default:
      return "";
  }
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
  return a.len_ == b.len_ && std::memcmp(&a.storage_, &b.storage_, a.len_) == 0;
}

}  // namespace actnet::io
