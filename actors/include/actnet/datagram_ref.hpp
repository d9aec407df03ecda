#pragma once
// DatagramRef is how any thread answers a datagram later (gnet's UDP AsyncWrite): a small
// copyable value naming a udp:// listener's loop (by its mailbox), which of that loop's UDP
// sockets, and the peer. Each send is a message to the loop, which sends the datagram from
// that socket; the completion runs on the loop. Conn::datagram_ref() gives one inside
// on_traffic for a datagram (Conn::ref() is empty there: there is no connection). A loop's
// UDP sockets are never replaced while it runs, so the socket's index needs no generation;
// once the engine stops, sends fail with Errc::shutting_down.

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "actnet/export.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/runtime/completion.hpp"

namespace actnet {

namespace detail {
class LoopInbox;
}

/// How any thread answers a UDP datagram later: names a udp:// listener's loop, its socket
/// and the peer. Each send is a message to the loop, which sends from that socket.
class ACTNET_API DatagramRef {
 public:
  DatagramRef() = default;  ///< names nothing: every send fails with connection_closed

  /// Any thread: one datagram to the peer this ref was made for. The return value says
  /// whether the message was queued; when it was not, `done` has already run on this thread.
  std::error_code async_send(std::string bytes, Completion done = {}) const {
    return async_send_to(peer_, std::move(bytes), std::move(done));
  }
  /// Any thread: one datagram to `peer`, from the same socket.
  std::error_code async_send_to(const io::SocketAddress& peer, std::string bytes,
                                Completion done = {}) const;

  /// The peer this ref was made for (the datagram's sender).
  const io::SocketAddress& peer() const noexcept { return peer_; }
  /// False for a default-constructed ref, which names nothing.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }

 private:
  friend class Conn;
  DatagramRef(std::shared_ptr<detail::LoopInbox> inbox, std::uint32_t socket,
              const io::SocketAddress& peer)
      : inbox_(std::move(inbox)), socket_(socket), peer_(peer) {}

  std::shared_ptr<detail::LoopInbox> inbox_;  // outlives the loop: late sends fail cleanly
  std::uint32_t socket_ = 0;                  // index among the loop's UDP sockets
  io::SocketAddress peer_;
};

}  // namespace actnet
