#include "udp_listener.hpp"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "actnet/io/socket.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"

namespace actnet::detail {

UdpListener::UdpListener(EventLoop& loop, io::BufferPool& pool, io::UniqueFd socket,
                         std::uint32_t index)
    : loop_(loop),
      index_(index),
      slot_size_(std::min(loop.options().read_buffer_cap, kMaxSlot)),
      // Uninitialized on purpose: a page becomes resident only when a datagram fills it.
      slots_(new char[kBatch * slot_size_]) {
  const ResolvedOptions& o = loop.options();
  // The inbound ring holds one datagram; a datagram never exceeds a slot.
  conn_.reset(new Conn(loop, pool, o.read_buffer_cap, o.write_buffer_cap));
  auto local = io::local_address(socket.get());
  conn_->open(std::move(socket), local ? *local : io::SocketAddress{}, {}, 0, 1);
  conn_->datagram_ = this;
  conn_->handler_ = &loop.handler();
  out_.reserve(kBatch);
  completing_.reserve(kBatch);
}

UdpListener::~UdpListener() {
  for (Outgoing& o : out_)
    complete(o.done, Errc::shutting_down);
}

void UdpListener::read_ready() {
  std::array<mmsghdr, kBatch> msgs;
  std::array<iovec, kBatch> iov;
  for (std::size_t round = 0; round < kReadBatches; ++round) {
    for (std::size_t k = 0; k < kBatch; ++k) {
      iov[k] = {slots_.get() + k * slot_size_, slot_size_};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = peers_[k].data();
      msgs[k].msg_hdr.msg_namelen = io::SocketAddress::capacity();
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // An unconnected UDP socket reports little (a queued ICMP error at most); the
        // socket stays usable, so say it and go on.
        loop_.logger().debug("loop {}: recvmmsg on {}: {}", loop_.index(),
                             conn_->local_address().to_string(),
                             std::error_code(errno, std::system_category()).message());
      }
      break;
    }
    for (int k = 0; k < n; ++k) {
      io::SocketAddress& peer = peers_[static_cast<std::size_t>(k)];
      peer.set_size(msgs[static_cast<std::size_t>(k)].msg_hdr.msg_namelen);
      if (msgs[static_cast<std::size_t>(k)].msg_hdr.msg_flags & MSG_TRUNC) {
        note_truncated(peer);
        continue;
      }
      deliver({slots_.get() + static_cast<std::size_t>(k) * slot_size_,
               msgs[static_cast<std::size_t>(k)].msg_len},
              peer);
    }
    flush();
    if (static_cast<std::size_t>(n) < kBatch) break;  // drained: no need to ask again
  }
}

void UdpListener::deliver(std::string_view datagram, const io::SocketAddress& peer) {
  Conn& conn = *conn_;
  conn.remote_ = peer;
  conn.inbound_.clear();
  conn.inbound_.write(datagram);
  detail::add_own(loop_.counters().bytes_in, datagram.size());
  const Action action =
      loop_.call("on_traffic", &conn, [&] { return loop_.handler().on_traffic(conn); });
  conn.inbound_.clear();  // what on_traffic left unread belongs to no later datagram
  if (action == Action::shutdown) loop_.apply(conn, action);
}

void UdpListener::note_truncated(const io::SocketAddress& peer) {
  detail::add_own(loop_.counters().datagrams_truncated, 1);
  // One line for the first and then one per 1024, so a flood cannot flood the log too.
  if (truncated_++ % 1024 == 0) {
    loop_.logger().warn(
        "loop {}: dropped a datagram from {} longer than read_buffer_cap ({} bytes); "
        "{} dropped so far on {}",
        loop_.index(), peer.to_string(), slot_size_, truncated_,
        conn_->local_address().to_string());
  }
}

std::error_code UdpListener::send(const io::SocketAddress& peer,
                                  std::span<const std::string_view> parts, Completion done) {
  std::size_t total = 0;
  for (std::string_view p : parts)
    total += p.size();
  if (out_.size() == kBatch || (!out_.empty() && out_bytes_.size() + total > kSendArena)) {
    flush();
  }
  const std::size_t offset = out_bytes_.size();
  for (std::string_view p : parts)
    out_bytes_.insert(out_bytes_.end(), p.begin(), p.end());
  out_.push_back({peer, offset, total, std::move(done), {}});
  return {};
}

void UdpListener::flush() {
  if (out_.empty()) return;
  const std::size_t count = out_.size();
  std::array<mmsghdr, kBatch> msgs;
  std::array<iovec, kBatch> iov;
  for (std::size_t k = 0; k < count; ++k) {
    Outgoing& o = out_[k];
    iov[k] = {out_bytes_.data() + o.offset, o.size};
    msgs[k] = {};
    msgs[k].msg_hdr.msg_name = o.peer.data();
    msgs[k].msg_hdr.msg_namelen = o.peer.size();
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  std::uint64_t sent_bytes = 0;
  std::size_t k = 0;
  while (k < count) {
    const int n = ::sendmmsg(fd(), msgs.data() + k, static_cast<unsigned>(count - k), 0);
    if (n > 0) {
      for (int i = 0; i < n; ++i)
        sent_bytes += msgs[k + static_cast<std::size_t>(i)].msg_len;
      k += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // sendmmsg reports the error of the first datagram it could not send: that one is
    // dropped, the rest are tried again.
    out_[k].error = std::error_code(n < 0 ? errno : EIO, std::system_category());
    loop_.logger().debug("loop {}: datagram to {} dropped: {}", loop_.index(),
                         out_[k].peer.to_string(), out_[k].error.message());
    ++k;
  }
  detail::add_own(loop_.counters().bytes_out, sent_bytes);
  // Completions run user code, which may write again: they see an empty queue.
  completing_.swap(out_);
  out_bytes_.clear();
  for (Outgoing& o : completing_)
    complete(o.done, o.error);
  completing_.clear();
}

}  // namespace actnet::detail
