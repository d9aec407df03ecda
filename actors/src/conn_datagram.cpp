// Conn's datagram side: a UDP listener's per-datagram Conn (send_to, datagram_ref; the rest
// of that mode is a branch at the top of queue, flush, ref and close_with in conn.cpp), and
// the connected datagram mode of a connected UDP socket, which is a whole connection.
//
// Connected datagram mode (Client::dial("udp://..."), or Client::enroll of a connected
// SOCK_DGRAM socket). The rules, and why:
//  - Reading: each readable event reads up to kDatagramsPerRead datagrams, one recvmsg each,
//    and calls on_traffic once per datagram with exactly that datagram in the inbound buffer;
//    what on_traffic leaves unread is dropped, so datagrams never run together. The socket is
//    level-triggered whatever Options::edge_triggered says, so what is left waits for the
//    next turn. A datagram longer than the read slot (Options::read_buffer_cap, at most
//    64 KiB) arrives cut (MSG_TRUNC): it is dropped, counted in LoopStats::datagrams_truncated
//    and logged, never shown in part — as the listener does.
//  - Writing: each write()/writev() is one datagram (writev's parts together), sent with one
//    sendmsg at once. When the kernel has no room (EAGAIN, ENOBUFS) it is copied into a queue
//    and sent when the socket is writable, in order; the completion runs when it reached the
//    kernel. The queue holds at most kMaxQueuedDatagrams datagrams and write_high_water bytes:
//    past either, the write fails at once with Errc::queue_full and the connection stays open
//    (a full UDP path drops datagrams anyway; closing would punish the reader for it). A
//    datagram the kernel rejects on its own (EMSGSIZE past 65,507 bytes, ...) fails its
//    completion and the connection stays open. outbound_buffered() is the queued bytes, so a
//    graceful stop flushes them like a stream's.
//  - Nobody listening: UDP has no handshake, so the dial succeeds and on_open runs. The
//    peer's ICMP port-unreachable comes back as ECONNREFUSED on a later recv or send; then the
//    connection closes with on_close(std::errc::connection_refused), like a refused TCP
//    connection the moment it is known (a send that met it fails its completion with the same
//    error). Any other receive error closes it too; a connection that should outlive a peer
//    restarting can dial again from on_close.
//  - shutdown_write() is unsupported, send_to() is unsupported (the peer is fixed),
//    remote_address() is the connected peer.

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "actnet/conn.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"
#include "udp_listener.hpp"

namespace actnet {
namespace {

constexpr std::size_t kMaxIov = 64;  // more parts are copied into one piece first

std::error_code errno_code(int err) {
  return {err, std::system_category()};
}

bool would_block(int err) noexcept {
  return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

// One datagram from `parts`, sent with one sendmsg: the byte count, or -1 with errno set.
ssize_t send_parts(int fd, std::span<const std::string_view> parts) {
  iovec iov[kMaxIov];
  std::string joined;
  std::size_t count = parts.size();
  if (count > kMaxIov) {
    for (std::string_view p : parts)
      joined.append(p);
    iov[0] = {joined.data(), joined.size()};
    count = 1;
  } else {
    for (std::size_t i = 0; i < count; ++i)
      iov[i] = {const_cast<char*>(parts[i].data()), parts[i].size()};
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  ssize_t n;
  while ((n = ::sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n;
}

}  // namespace

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

// ---- connected datagram mode ---------------------------------------------------------

bool Conn::read_datagrams() {
  // The slot a datagram is read into: the read cap, but no UDP payload is longer than 64 KiB.
  const std::size_t slot = std::min(inbound_.max_capacity(), detail::UdpListener::kMaxSlot);
  if (!wants_read()) {
    // Not reading (paused, or a stop draining), yet epoll reports a socket error whatever
    // the interest: take it now, or level-triggered epoll would report it every turn.
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      close_with(errno_code(err));
      return false;
    }
    return true;
  }
  for (std::size_t k = 0; k < kDatagramsPerRead && wants_read(); ++k) {
    inbound_.clear();
    inbound_.reserve(slot);
    iovec iov[2];
    const std::size_t count = inbound_.writable_iovecs(iov);
    std::size_t room = slot;
    for (std::size_t i = 0; i < count; ++i) {
      iov[i].iov_len = std::min(iov[i].iov_len, room);
      room -= iov[i].iov_len;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      const std::error_code error = errno_code(errno);
      inbound_.clear();
      close_with(error);  // ECONNREFUSED: nobody listens at the peer (see above)
      return false;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      note_truncated();
      continue;
    }
    inbound_.commit_write(static_cast<std::size_t>(n));
    detail::add_own(loop_.counters().bytes_in, static_cast<std::size_t>(n));
    last_read_ = loop_.now();  // an idle timeout counts from the last datagram
    const Action action =
        loop_.call("on_traffic", this, [&] { return handler_->on_traffic(*this); });
    if (!is_open()) return false;
    inbound_.clear();  // what on_traffic left unread belongs to no later datagram
    loop_.apply(*this, action);
    if (!is_open()) return false;
  }
  inbound_.clear();  // also gives back the block a read reserved and found nothing for
  return true;
}

void Conn::note_truncated() {
  const std::uint64_t before = detail::add_own(loop_.counters().datagrams_truncated, 1);
  // One line for the loop's first and then one per 1024, so a flood cannot flood the log.
  if (before % 1024 == 0) {
    loop_.logger().warn(
        "loop {}: dropped a datagram from {} longer than read_buffer_cap ({} bytes); "
        "{} dropped so far on this loop",
        loop_.index(), remote_.to_string(),
        std::min(inbound_.max_capacity(), detail::UdpListener::kMaxSlot), before + 1);
  }
}

std::error_code Conn::send_datagram(std::span<const std::string_view> parts, Completion done) {
  std::size_t total = 0;
  for (std::string_view p : parts)
    total += p.size();
  if (datagrams_out_.empty()) {
    const ssize_t n = send_parts(fd_.get(), parts);
    if (n >= 0) {
      detail::add_own(loop_.counters().bytes_out, static_cast<std::size_t>(n));
      complete(done, {});
      return {};
    }
    const int err = errno;
    if (!would_block(err)) {
      const std::error_code error = errno_code(err);
      complete(done, error);
      if (err == ECONNREFUSED) close_with(error);
      return error;
    }
  }
  if (datagrams_out_.size() >= kMaxQueuedDatagrams ||
      datagrams_out_bytes_ + total > loop_.options().write_high_water) {
    complete(done, Errc::queue_full);
    return Errc::queue_full;
  }
  QueuedDatagram queued;
  queued.bytes.reserve(total);
  for (std::string_view p : parts)
    queued.bytes.append(p);
  queued.done = std::move(done);
  datagrams_out_.push_back(std::move(queued));
  datagrams_out_bytes_ += total;
  update_interest();
  return {};
}

// Offers the queued datagrams to the kernel in order until it has no room. Returns the
// connection-level error (ECONNREFUSED) that the caller must close with; the datagrams from
// the one it hit on stay queued. `closing`: close_with's last try, which goes on though the
// connection is no longer open.
std::error_code Conn::send_queued(bool closing) {
  while (!datagrams_out_.empty() && (closing || state_ == State::open)) {
    QueuedDatagram& front = datagrams_out_.front();
    const std::string_view bytes = front.bytes;
    const ssize_t n = send_parts(fd_.get(), {&bytes, 1});
    const int err = n < 0 ? errno : 0;
    if (n < 0 && would_block(err)) break;
    if (n < 0 && err == ECONNREFUSED) return errno_code(err);
    // Sent, or refused for itself alone (EMSGSIZE, ...): either way it leaves the queue.
    Completion done = std::move(front.done);
    datagrams_out_bytes_ -= front.bytes.size();
    datagrams_out_.pop_front();  // before the completion, which may write again
    if (n >= 0) {
      detail::add_own(loop_.counters().bytes_out, static_cast<std::size_t>(n));
    }
    complete(done, n >= 0 ? std::error_code{} : errno_code(err));
  }
  return {};
}

}  // namespace actnet
