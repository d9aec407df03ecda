#include "actnet/datagram_ref.hpp"

#include "actnet/runtime/error.hpp"
#include "loop_message.hpp"

namespace actnet {

std::error_code DatagramRef::async_send_to(const io::SocketAddress& peer, std::string bytes,
                                           Completion done) const {
  if (!inbox_) {
    complete(done, Errc::connection_closed);
    return Errc::connection_closed;
  }
  detail::LoopMessage message(
      detail::DatagramMsg{socket_, peer, std::move(bytes), std::move(done)});
  if (inbox_->mailbox.push(std::move(message)) == PushResult::ok) return {};
  complete(std::get<detail::DatagramMsg>(message).done, Errc::shutting_down);
  return Errc::shutting_down;
}

}  // namespace actnet
