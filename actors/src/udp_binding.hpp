#pragma once
// How a udp:// address becomes sockets, kept out of the supervisor so its rules sit in one
// place. As in gnet, every loop gets its own socket on the same port with SO_REUSEPORT (the
// kernel spreads datagrams by source address), whatever Options::reuse_port says. A
// multicast address (224.0.0.0/4, ff00::/8) is bound and joined on
// Options::multicast_interface_index (0: the kernel picks by route) by ONE socket only, on
// the first loop: the kernel hands every multicast datagram to every socket bound to the
// group, so one socket per loop would run each datagram once per loop.

#include <vector>

#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/options.hpp"

namespace actnet::detail {

// True for an IPv4 or IPv6 multicast group address.
bool is_multicast(const io::SocketAddress& address) noexcept;

// Supervisor thread, at boot: `loops` bound UDP sockets (one for a multicast group) for
// `address`, with the options that apply to them (reuse_addr, bind_to_device,
// socket_recv_buffer / socket_send_buffer, the multicast join). Port 0: the first socket
// picks the port and the others share it.
Result<std::vector<io::UniqueFd>> bind_udp_sockets(const ResolvedOptions& options,
                                                   io::SocketAddress address, std::size_t loops);

}  // namespace actnet::detail
