#include "actnet/io/socket_options.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace actnet::io {

namespace {

std::string on_fd(const char* call, const char* option, int fd) {
  std::string what = call;
  what += '(';
  what += option;
  what += ") on fd ";
  what += std::to_string(fd);
  return what;
}

Status set_raw(int fd, int level, int name, const void* value, socklen_t len, const char* option) {
  if (::setsockopt(fd, level, name, value, len) != 0) {
    return errno_error(errno, on_fd("setsockopt", option, fd));
  }
  return ok_status();
}

Status set_int(int fd, int level, int name, int value, const char* option) {
  return set_raw(fd, level, name, &value, sizeof value, option);
}

Result<int> get_int(int fd, int level, int name, const char* option) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) {
    return errno_error(errno, on_fd("getsockopt", option, fd));
  }
  return value;
}

Result<bool> get_bool(int fd, int level, int name, const char* option) {
  auto value = get_int(fd, level, name, option);
  if (!value) return value.error();
  return *value != 0;
}

// The kernel takes int seconds; anything that does not fit is the caller's mistake.
Result<int> whole_seconds(std::chrono::seconds s, const char* option, int fd) {
  if (s.count() < 0 || s.count() > 0x7fffffff) {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 on_fd("setsockopt", option, fd) + ": " + std::to_string(s.count()) +
                     " seconds is out of range");
  }
  return static_cast<int>(s.count());
}

}  // namespace

Status set_reuse_addr(int fd, bool on) {
  return set_int(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0, "SO_REUSEADDR");
}
Result<bool> get_reuse_addr(int fd) {
  return get_bool(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
}

Status set_reuse_port(int fd, bool on) {
  return set_int(fd, SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0, "SO_REUSEPORT");
}
Result<bool> get_reuse_port(int fd) {
  return get_bool(fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
}

Status set_tcp_no_delay(int fd, bool on) {
  return set_int(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "TCP_NODELAY");
}
Result<bool> get_tcp_no_delay(int fd) {
  return get_bool(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
}

Status set_keep_alive(int fd, bool on) {
  return set_int(fd, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0, "SO_KEEPALIVE");
}

Status set_keep_alive(int fd, const KeepAlive& params) {
  auto idle = whole_seconds(params.idle, "TCP_KEEPIDLE", fd);
  if (!idle) return idle.error();
  auto interval = whole_seconds(params.interval, "TCP_KEEPINTVL", fd);
  if (!interval) return interval.error();
  if (auto s = set_keep_alive(fd, true); !s) return s;
  if (auto s = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, *idle, "TCP_KEEPIDLE"); !s) return s;
  if (auto s = set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, *interval, "TCP_KEEPINTVL"); !s) return s;
  return set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, params.count, "TCP_KEEPCNT");
}

Result<bool> get_keep_alive(int fd) {
  return get_bool(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
}

Result<KeepAlive> get_keep_alive_params(int fd) {
  auto idle = get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
  if (!idle) return idle.error();
  auto interval = get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
  if (!interval) return interval.error();
  auto count = get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
  if (!count) return count.error();
  return KeepAlive{std::chrono::seconds(*idle), std::chrono::seconds(*interval), *count};
}

Status set_recv_buffer(int fd, int bytes) {
  return set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}
Result<int> get_recv_buffer(int fd) {
  return get_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
}

Status set_send_buffer(int fd, int bytes) {
  return set_int(fd, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}
Result<int> get_send_buffer(int fd) {
  return get_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
}

Status set_linger(int fd, const Linger& l) {
  auto seconds = whole_seconds(l.timeout, "SO_LINGER", fd);
  if (!seconds) return seconds.error();
  const ::linger value{l.on ? 1 : 0, *seconds};
  return set_raw(fd, SOL_SOCKET, SO_LINGER, &value, sizeof value, "SO_LINGER");
}

Result<Linger> get_linger(int fd) {
  ::linger value{};
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &value, &len) != 0) {
    return errno_error(errno, on_fd("getsockopt", "SO_LINGER", fd));
  }
  return Linger{value.l_onoff != 0, std::chrono::seconds(value.l_linger)};
}

Status bind_to_device(int fd, std::string_view ifname) {
  if (ifname.size() >= IFNAMSIZ || ifname.find('\0') != std::string_view::npos) {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 on_fd("setsockopt", "SO_BINDTODEVICE", fd) + ": interface name '" +
                     std::string(ifname) + "' is not a valid interface name");
  }
  // The kernel copies at most IFNAMSIZ bytes and stops at the first NUL: pass a terminated
  // copy so a string_view that is not terminated cannot leak the bytes after it.
  char name[IFNAMSIZ] = {};
  std::memcpy(name, ifname.data(), ifname.size());
  std::string what = "SO_BINDTODEVICE=";
  what += ifname;
  return set_raw(fd, SOL_SOCKET, SO_BINDTODEVICE, name, static_cast<socklen_t>(ifname.size() + 1),
                 what.c_str());
}

Result<std::string> get_bound_device(int fd) {
  char name[IFNAMSIZ] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) != 0) {
    return errno_error(errno, on_fd("getsockopt", "SO_BINDTODEVICE", fd));
  }
  return std::string(name, ::strnlen(name, sizeof name));
}

Status set_v6_only(int fd, bool on) {
  return set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0, "IPV6_V6ONLY");
}
Result<bool> get_v6_only(int fd) {
  return get_bool(fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
}

namespace {

Status multicast_membership(int fd, const SocketAddress& group, unsigned ifindex, bool join) {
  switch (group.family()) {
    case AF_INET: {
      ip_mreqn req{};
      req.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.data())->sin_addr;
      req.imr_address.s_addr = htonl(INADDR_ANY);
      req.imr_ifindex = static_cast<int>(ifindex);
      const char* option = join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP";
      return set_raw(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &req,
                     sizeof req, option);
    }
    case AF_INET6: {
      ipv6_mreq req{};
      req.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(group.data())->sin6_addr;
      req.ipv6mr_interface = ifindex;
      const char* option = join ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP";
      return set_raw(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &req, sizeof req,
                     option);
    }
    default:
      return Error(
          std::make_error_code(std::errc::address_family_not_supported),
          on_fd("setsockopt", join ? "join multicast group" : "leave multicast group", fd) +
              ": group '" + group.to_string() + "' is not an IPv4 or IPv6 address");
  }
}

}  // namespace

Status join_multicast_group(int fd, const SocketAddress& group, unsigned ifindex) {
  return multicast_membership(fd, group, ifindex, true);
}

Status leave_multicast_group(int fd, const SocketAddress& group, unsigned ifindex) {
  return multicast_membership(fd, group, ifindex, false);
}

Result<unsigned> interface_index(std::string_view ifname) {
  const std::string name(ifname);
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return errno_error(errno, "if_nametoindex(" + name + ")");
  return index;
}

}  // namespace actnet::io
