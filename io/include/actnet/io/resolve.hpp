#pragma once
// resolve() turns a parsed Endpoint into the kernel addresses to bind or connect to. It is
// separate from parsing because it is the one step that may block (getaddrinfo for host
// names), so the framework calls it once, at bind or dial time, on the supervisor or a
// worker thread, never on an event loop. Numeric hosts, wildcards and unix paths never
// block and never touch DNS.

#include <cstdint>
#include <vector>

#include "actnet/export.hpp"
#include "actnet/io/address.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"

namespace actnet::io {

/// What the addresses are for; it only matters for an empty host.
enum class ResolveFor : std::uint8_t {
  /// Empty host = the wildcard: 0.0.0.0 for tcp4/udp4, :: for tcp6/udp6, and for plain
  /// tcp/udp the dual-stack :: when the kernel supports IPv6 (as gnet and Go listen),
  /// else 0.0.0.0. The caller must leave IPV6_V6ONLY off on a dual-stack socket.
  bind,
  /// Empty host = this machine, as Go dials ":port": 127.0.0.1 for tcp4/udp4, ::1 for
  /// tcp6/udp6, and for plain tcp/udp 127.0.0.1 then ::1 (if IPv6 is supported).
  connect,
};

/// The addresses of `endpoint`, in the order to try them; never empty on success, no
/// duplicates. Numeric hosts and unix paths give exactly one. Host names go through
/// getaddrinfo restricted to the endpoint's family and socket type, so "tcp4://localhost"
/// gives IPv4 addresses only. Blocks for host names: supervisor or worker thread, never a
/// loop. Errors: std::errc::invalid_argument for an inconsistent hand-built Endpoint, and for
/// lookup failures std::errc::address_not_available (no such name / no address of that
/// family), resource_unavailable_try_again (temporary DNS failure) or the system errno; the
/// message names the endpoint and gives gai_strerror's reason.
ACTNET_API Result<std::vector<SocketAddress>> resolve(const Endpoint& endpoint,
                                                      ResolveFor purpose = ResolveFor::bind);

/// True when this kernel can create IPv6 sockets. Probed once per process (thread-safe).
ACTNET_API bool ipv6_supported() noexcept;

}  // namespace actnet::io
