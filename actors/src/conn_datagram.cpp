// Conn's datagram side: what only a UDP listener's per-datagram Conn can do (the rest of
// datagram mode is a branch at the top of queue, flush, ref and close_with in conn.cpp).

#include "actnet/conn.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"
#include "udp_listener.hpp"

namespace actnet {

std::error_code Conn::send_to(const io::SocketAddress& peer, std::string_view bytes,
                              Completion done) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ == nullptr) {
    complete(done, Errc::unsupported);
    return Errc::unsupported;
  }
  return datagram_->send(peer, {&bytes, 1}, std::move(done));
}

DatagramRef Conn::datagram_ref() const {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ == nullptr) return DatagramRef();
  return DatagramRef(loop_.inbox(), datagram_->index(), remote_);
}

}  // namespace actnet
