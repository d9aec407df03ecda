#pragma once
// One function per socket option, so that a refusal comes back as a Status whose message
// names the option and what the errno means ("setsockopt(TCP_NODELAY) on fd 7: Protocol not
// available") instead of a bare -1. Getters exist for the options a caller (or a round-trip
// test) needs to read back. Each works on any socket fd; the fd's owner (one loop thread)
// calls them, so none of them synchronizes.

#include <chrono>
#include <string>
#include <string_view>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/status.hpp"

namespace actnet::io {

/// SO_REUSEADDR: rebind a port whose old connections sit in TIME_WAIT. Set before bind().
ACTNET_API Status set_reuse_addr(int fd, bool on);
/// Reads SO_REUSEADDR.
ACTNET_API Result<bool> get_reuse_addr(int fd);

/// SO_REUSEPORT: several sockets (one listener per loop) bind the same port and the kernel
/// spreads connections between them. Every socket sharing the port sets it before bind().
ACTNET_API Status set_reuse_port(int fd, bool on);
/// Reads SO_REUSEPORT.
ACTNET_API Result<bool> get_reuse_port(int fd);

/// TCP_NODELAY: send small writes at once instead of waiting for ACKs (Nagle off). actnet
/// turns it on for every TCP connection by default: see TcpOptions in tcp_options.hpp.
ACTNET_API Status set_tcp_no_delay(int fd, bool on);
/// Reads TCP_NODELAY.
ACTNET_API Result<bool> get_tcp_no_delay(int fd);

/// TCP keepalive probes for a connection that went silent. Linux counts whole seconds.
struct ACTNET_API KeepAlive {
  std::chrono::seconds idle{15};      ///< TCP_KEEPIDLE: silence before the first probe
  std::chrono::seconds interval{15};  ///< TCP_KEEPINTVL: between unanswered probes
  int count = 9;                      ///< TCP_KEEPCNT: unanswered probes before the reset
  /// The same three timings.
  friend bool operator==(const KeepAlive&, const KeepAlive&) = default;
};
/// SO_KEEPALIVE alone, keeping the kernel's (or earlier) timings.
ACTNET_API Status set_keep_alive(int fd, bool on);
/// SO_KEEPALIVE on, then the three timings; stops at the first refusal.
ACTNET_API Status set_keep_alive(int fd, const KeepAlive& params);
/// Reads SO_KEEPALIVE.
ACTNET_API Result<bool> get_keep_alive(int fd);
/// Reads the three keepalive timings.
ACTNET_API Result<KeepAlive> get_keep_alive_params(int fd);

/// SO_RCVBUF / SO_SNDBUF in bytes. Linux doubles the value for its bookkeeping, so the
/// getters read back about twice what was set (capped by net.core.rmem_max / wmem_max).
ACTNET_API Status set_recv_buffer(int fd, int bytes);
/// Reads SO_RCVBUF (about twice what was set).
ACTNET_API Result<int> get_recv_buffer(int fd);
/// Sets SO_SNDBUF.
ACTNET_API Status set_send_buffer(int fd, int bytes);
/// Reads SO_SNDBUF (about twice what was set).
ACTNET_API Result<int> get_send_buffer(int fd);

/// SO_LINGER. {true, 0s} makes close() send RST at once (drops unsent data, no TIME_WAIT);
/// {false, ...} is the default graceful close in the background.
struct ACTNET_API Linger {
  bool on = false;                  ///< SO_LINGER on
  std::chrono::seconds timeout{0};  ///< how long close() may linger (with `on`)
  /// The same setting.
  friend bool operator==(const Linger&, const Linger&) = default;
};
/// Sets SO_LINGER.
ACTNET_API Status set_linger(int fd, const Linger& linger);
/// Reads SO_LINGER.
ACTNET_API Result<Linger> get_linger(int fd);

/// SO_BINDTODEVICE: traffic only through the interface named `ifname` ("lo", "eth0");
/// an empty name unbinds. Needs CAP_NET_RAW: without it the Status carries EPERM.
ACTNET_API Status bind_to_device(int fd, std::string_view ifname);
ACTNET_API Result<std::string> get_bound_device(int fd);  ///< "" when unbound

/// IPV6_V6ONLY on an AF_INET6 socket: false lets it accept IPv4-mapped peers too. Set before
/// bind(); on an AF_INET socket the kernel refuses it.
ACTNET_API Status set_v6_only(int fd, bool on);
/// Reads IPV6_V6ONLY.
ACTNET_API Result<bool> get_v6_only(int fd);

/// Multicast membership of a UDP socket on the interface with index `ifindex` (0 lets the
/// kernel choose by route). `group` is an AF_INET or AF_INET6 address (its port is ignored):
/// IP_ADD_MEMBERSHIP with ip_mreqn, or IPV6_JOIN_GROUP. Joining twice is refused (EADDRINUSE).
ACTNET_API Status join_multicast_group(int fd, const SocketAddress& group, unsigned ifindex);
/// Leaves a group joined with join_multicast_group().
ACTNET_API Status leave_multicast_group(int fd, const SocketAddress& group, unsigned ifindex);

/// The index of the interface named `ifname` (if_nametoindex), for the multicast calls.
ACTNET_API Result<unsigned> interface_index(std::string_view ifname);

}  // namespace actnet::io
