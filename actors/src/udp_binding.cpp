#include "udp_binding.hpp"

#include <netinet/in.h>

#include "actnet/io/socket.hpp"
#include "actnet/io/socket_options.hpp"

namespace actnet::detail {

bool is_multicast(const io::SocketAddress& address) noexcept {
  if (address.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address.data());
    return IN_MULTICAST(ntohl(in->sin_addr.s_addr));
  }
  if (address.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.data());
    return IN6_IS_ADDR_MULTICAST(&in6->sin6_addr);
  }
  return false;
}

Result<std::vector<io::UniqueFd>> bind_udp_sockets(const ResolvedOptions& o,
                                                   io::SocketAddress address, std::size_t loops) {
  const bool multicast = is_multicast(address);
  const std::size_t count = multicast ? 1 : loops;
  const io::BindOptions bind{.reuse_addr = o.reuse_addr, .reuse_port = true};
  std::vector<io::UniqueFd> sockets;
  for (std::size_t i = 0; i < count; ++i) {
    auto fd = io::bind_udp(address, bind);
    if (!fd) return fd.error();
    if (!o.bind_to_device.empty()) {
      if (auto s = io::bind_to_device(fd->get(), o.bind_to_device); !s) return s.error();
    }
    if (o.socket_recv_buffer > 0) {
      if (auto s = io::set_recv_buffer(fd->get(), o.socket_recv_buffer); !s) return s.error();
    }
    if (o.socket_send_buffer > 0) {
      if (auto s = io::set_send_buffer(fd->get(), o.socket_send_buffer); !s) return s.error();
    }
    if (multicast) {
      if (auto s = io::join_multicast_group(fd->get(), address, o.multicast_interface_index); !s)
        return s.error();
    }
    if (auto local = io::local_address(fd->get()); local) address = *local;
    sockets.push_back(std::move(*fd));
  }
  return sockets;
}

}  // namespace actnet::detail
