#include "actnet/conn.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "actnet/io/sanitizers.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"
#include "udp_listener.hpp"

namespace actnet {
namespace {

constexpr std::size_t kMaxIov = 64;  // iovecs per writev; more waits for the next round
// The least free space a read asks for: enough that one recv drains a pipelined burst
// (16 × 4 KiB at once took four reads, and four loop turns, at 16 KiB). The block comes from
// the loop's pool and goes back once the handler drained it, or is swapped for a small one
// when only the start of a frame remains (ElasticRingBuffer::trim), so it costs no memory
// per connection.
constexpr std::size_t kReadStep = 64 * 1024;

std::error_code errno_code(int err) {
  return {err, std::system_category()};
}

// The stream's sends and receives go to the kernel through syscall(2), not glibc's send()
// and recv(): those are thread-cancellation points and wrap every call in an enable/disable
// pair (1.4% of an echo server's CPU at one message per read, perf). Loops are never
// cancelled, so the wrappers buy nothing here. Under ASan and TSan the libc calls stay:
// their interceptors check the buffers and see the socket's happens-before edges.
#if defined(ACTNET_ASAN) || defined(ACTNET_TSAN)
ssize_t sys_send(int fd, const void* data, std::size_t size) {
  return ::send(fd, data, size, MSG_NOSIGNAL);
}
ssize_t sys_sendmsg(int fd, const msghdr* msg) {
  return ::sendmsg(fd, msg, MSG_NOSIGNAL);
}
ssize_t sys_recv(int fd, void* data, std::size_t size) {
  return ::recv(fd, data, size, 0);
}
ssize_t sys_readv(int fd, const iovec* iov, std::size_t count) {
  return ::readv(fd, iov, static_cast<int>(count));
}
#else
ssize_t sys_send(int fd, const void* data, std::size_t size) {
  return ::syscall(SYS_sendto, fd, data, size, MSG_NOSIGNAL, nullptr, 0);
}
ssize_t sys_sendmsg(int fd, const msghdr* msg) {
  return ::syscall(SYS_sendmsg, fd, msg, MSG_NOSIGNAL);
}
ssize_t sys_recv(int fd, void* data, std::size_t size) {
  return ::syscall(SYS_recvfrom, fd, data, size, 0, nullptr, nullptr);
}
ssize_t sys_readv(int fd, const iovec* iov, std::size_t count) {
  return ::syscall(SYS_readv, fd, iov, static_cast<int>(count));
}
#endif

// With MSG_NOSIGNAL: a peer that vanished is an error value, not SIGPIPE. One piece (the
// usual reply) goes with send(), which spares the kernel sendmsg's msghdr and iovec copies;
// several go with one sendmsg.
ssize_t send_iov(int fd, iovec* iov, std::size_t count) {
  ssize_t n;
  if (count == 1) {
    while ((n = sys_send(fd, iov[0].iov_base, iov[0].iov_len)) < 0 && errno == EINTR) {
    }
    return n;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  while ((n = sys_sendmsg(fd, &msg)) < 0 && errno == EINTR) {
  }
  return n;
}

// Reads into the ring's free space: recv() when it is one run (a ring that was empty is
// read from its start), readv() only when the free space wraps.
ssize_t recv_iov(int fd, iovec* iov, std::size_t count) {
  if (count == 1) return sys_recv(fd, iov[0].iov_base, iov[0].iov_len);
  return sys_readv(fd, iov, count);
}

// Drops, without copying, what a TCP peer sent that nobody will read. A close() with unread
// input answers with a reset, and a reset throws away what the kernel still holds for the
// peer: bytes a graceful stop or a close-after-write flushed but not yet delivered. Input
// arriving after the close still draws a reset (only a lingering close would avoid that).
void drop_unread_input(int fd) noexcept {
  for (int round = 0; round < 16; ++round) {
    const ssize_t n = ::recv(fd, nullptr, std::size_t{1} << 30, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
  }
}

}  // namespace

Conn::Conn(detail::EventLoop& loop, io::BufferPool& pool, std::size_t read_cap,
           std::size_t write_cap)
    : loop_(loop), inbound_(pool, read_cap), outbound_(pool, write_cap) {}

// ---- the loop's side -----------------------------------------------------------------

void Conn::open(io::UniqueFd fd, const io::SocketAddress& local, const io::SocketAddress& peer,
                std::uint32_t slot, std::uint32_t generation, bool connected_datagram) {
  fd_ = std::move(fd);
  local_ = local;
  remote_ = peer;
  slot_ = slot;
  generation_ = generation == 0 ? 1 : generation;
  state_ = State::open;
  paused_ = user_paused_ = read_ready_ = draining_ = flush_listed_ = close_when_shut_ = false;
  close_error_.clear();
  eof_seen_ = in_on_eof_ = shut_requested_ = shut_sent_ = false;
  queued_total_ = flushed_total_ = 0;
  last_read_ = loop_.now();
  idle_timeout_ = loop_.options().idle_timeout;
  read_deadline_ = write_deadline_ = {};
  deadline_armed_ = DeadlineClock::time_point::max();
  if (idle_timeout_.count() > 0) loop_.arm_deadline(*this);
  connected_udp_ = connected_datagram;
  interest_ = io::Interest::readable;
  if (edge_triggered()) {
    interest_ = io::Interest::readable | io::Interest::writable | io::Interest::edge_triggered;
  }
}

// A connected UDP socket is always level-triggered (as gnet forces for UDP): a read that
// stops after kDatagramsPerRead leaves the rest for epoll to report next turn.
bool Conn::edge_triggered() const noexcept {
  return loop_.options().edge_triggered && !connected_udp_;
}

std::uint64_t Conn::token() const noexcept {
  return static_cast<std::uint64_t>(slot_) | (static_cast<std::uint64_t>(generation_) << 32);
}

void Conn::reset() noexcept {
  if (fd_.valid() && remote_.family() != AF_UNIX && !connected_udp_) drop_unread_input(fd_.get());
  fd_.reset();  // only now: the fd number cannot be reused while the turn still runs
  inbound_.clear();
  outbound_.clear();
  context_.reset();
  pending_.release();  // a free slot holds no memory for the next connection's sake
  std::vector<Completion>().swap(shut_waiters_);
  datagrams_out_.release();
  datagrams_out_bytes_ = 0;
  state_ = State::free;
  generation_ = (generation_ + 1) & 0x7FFF'FFFF;  // stale refs stop matching here
  if (generation_ == 0) generation_ = 1;
}

// Edge-triggered, a stream socket is read until EAGAIN, unless short_read_drains: recv(2)
// on TCP and unix stream sockets returns less than asked only when the receive queue ran
// dry, and bytes that arrive after it raise a new edge, so the read that would only return
// EAGAIN is skipped (one recv per message, as nginx's ngx_unix_recv does). Not when the
// event carried a hang-up: the FIN is already queued and only reading to 0 finds it. An
// urgent byte (MSG_OOB, never used by the protocols served here) also ends a read short;
// the bytes behind it wait for the peer's next segment.
bool Conn::read_ready(std::size_t budget, bool& more, bool short_read_drains) {
  more = false;
  if (connected_udp_) return read_datagrams();
  std::size_t total = 0;
  bool eof = false;
  std::error_code failure;
  const bool level = !loop_.options().edge_triggered;
  bool full = false;  // edge-triggered: the buffer filled up before the chunk did
  while (total < budget) {
    if (inbound_.available() == 0) {
      // Full with bytes read just now: on_traffic makes room first and the rest is read
      // next turn. Full with none read: the handler keeps read_buffer_cap bytes unconsumed.
      if (total > 0)
        full = true;
      else
        failure = Errc::read_buffer_full;
      break;
    }
    inbound_.reserve(std::min(inbound_.available(), std::max(kReadStep, inbound_.capacity())));
    iovec iov[2];
    const std::size_t count = inbound_.writable_iovecs(iov);
    // Never read past the chunk limit in one go.
    std::size_t room = budget - total;
    const std::size_t asked_for = room;
    for (std::size_t i = 0; i < count; ++i) {
      iov[i].iov_len = std::min(iov[i].iov_len, room);
      room -= iov[i].iov_len;
    }
    const ssize_t n = recv_iov(fd_.get(), iov, count);
    if (n > 0) {
      inbound_.commit_write(static_cast<std::size_t>(n));
      total += static_cast<std::size_t>(n);
      if (level) break;  // level-triggered: epoll reports the rest next turn
      if (short_read_drains && static_cast<std::size_t>(n) < asked_for - room) break;
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      detail::add_own(loop_.counters().empty_reads, 1);
    else
      failure = errno_code(errno);
    break;
  }
  if (!level && (total >= budget || full) && !eof && !failure) more = true;
  detail::add_own(loop_.counters().bytes_in, total);
  if (total > 0) last_read_ = loop_.now();  // the idle deadline moves lazily (arm_deadline)

  if (total > 0) {
    const Action action =
        loop_.call("on_traffic", this, [&] { return handler_->on_traffic(*this); });
    if (!is_open()) return false;
    loop_.apply(*this, action);
    if (!is_open()) return false;
  }
  // An idle connection holds no buffer: give back the block a read reserved and found
  // nothing for, or that the handler drained (its views die with the callback).
  inbound_.trim();
  if (eof) return end_of_input();
  if (failure) {
    close_with(failure);
    return false;
  }
  return true;
}

// The peer's EOF, once its last bytes went through on_traffic: on_eof decides whether the
// connection lives on for writing.
bool Conn::end_of_input() {
  eof_seen_ = true;  // reading stops for good (at EOF, level-triggered epoll would spin)
  in_on_eof_ = true;
  const Action action = loop_.call("on_eof", this, [&] { return handler_->on_eof(*this); });
  in_on_eof_ = false;
  if (!is_open()) return false;
  if (shut_sent_) {
    close_with({});  // both directions are finished
    return false;
  }
  if (action == Action::close) {
    close_with(Errc::end_of_stream);
    return false;
  }
  update_interest();
  if (action == Action::shutdown) loop_.apply(*this, action);
  return is_open();
}

// After on_eof the socket is not read, so an event for reading is the error or hang-up the
// kernel reports whatever the interest: a reset, or a unix peer that closed for good.
void Conn::failed_after_eof() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  close_with(err != 0 ? errno_code(err) : make_error_code(Errc::end_of_stream));
}

std::error_code Conn::queue(std::span<const std::string_view> parts, Completion done) {
  if (datagram_ != nullptr) return datagram_->send(remote_, parts, std::move(done));
  if (state_ != State::open) {
    complete(done, Errc::connection_closed);
    return Errc::connection_closed;
  }
  if (shut_requested_) {
    complete(done, Errc::write_shut_down);
    return Errc::write_shut_down;
  }
  if (connected_udp_) return send_datagram(parts, std::move(done));
  std::size_t total = 0;
  for (std::string_view p : parts)
    total += p.size();
  std::size_t sent = 0;
  if (loop_.corked()) {
    // The loop is draining its mailboxes: writes gather in the buffer and go out in one
    // send when the drain ends (a room's broadcast costs one syscall per member per turn,
    // not one per message).
    if (total > 0) loop_.flush_after_drain(*this);
  } else if (outbound_.empty() && total > 0) {
    // The socket first: most writes never touch the buffer.
    iovec iov[kMaxIov];
    const std::size_t count = std::min(parts.size(), kMaxIov);
    for (std::size_t i = 0; i < count; ++i)
      iov[i] = {const_cast<char*>(parts[i].data()), parts[i].size()};
    const ssize_t n = send_iov(fd_.get(), iov, count);
    if (n >= 0) {
      sent = static_cast<std::size_t>(n);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      const std::error_code error = errno_code(errno);
      complete(done, error);
      close_with(error);
      return error;
    }
  }
  std::size_t skip = sent;
  for (std::string_view p : parts) {
    if (skip >= p.size()) {
      skip -= p.size();
      continue;
    }
    outbound_.write(p.substr(skip));
    skip = 0;
  }
  queued_total_ += total;
  flushed_total_ += sent;
  detail::add_own(loop_.counters().bytes_out, sent);
  if (done) {
    if (flushed_total_ >= queued_total_) {
      complete(done, {});
    } else {
      pending_.push_back({queued_total_, std::move(done)});
    }
  }
  if (loop_.corked() && outbound_.buffered() >= kCorkLimit) {
    // Corking is for many small writes; a big one goes out now, so the water marks see
    // what the kernel could not take rather than what merely waited for the drain's end.
    write_ready();
    if (state_ != State::open) return close_error_;
  }
  if (!outbound_.empty()) {
    if (!loop_.corked()) update_interest();
    check_water();
    if (state_ != State::open) return Errc::write_limit_exceeded;
  }
  return {};
}

void Conn::write_ready() {
  if (connected_udp_) {
    if (const std::error_code error = send_queued(false); error) {
      close_with(error);
      return;
    }
    update_interest();
    return;
  }
  while (!outbound_.empty()) {
    iovec iov[kMaxIov];
    const std::size_t count = outbound_.readable_iovecs(iov);
    std::size_t offered = 0;
    for (std::size_t i = 0; i < count; ++i)
      offered += iov[i].iov_len;
    const ssize_t n = send_iov(fd_.get(), iov, count);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close_with(errno_code(errno));
      return;
    }
    outbound_.discard(static_cast<std::size_t>(n));
    flushed_total_ += static_cast<std::size_t>(n);
    detail::add_own(loop_.counters().bytes_out, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < offered) break;  // the kernel is full
  }
  while (!pending_.empty() && pending_.front().end <= flushed_total_) {
    Completion done = std::move(pending_.front().done);
    pending_.pop_front();
    complete(done, {});
  }
  if (state_ != State::open) return;
  if (outbound_.empty()) {
    if (shut_requested_ && !shut_sent_) {
      finish_shutdown();
      if (state_ != State::open) return;
    }
    update_interest();
  }
  check_water();
}

// shutdown_write()'s second half, once nothing is left queued.
void Conn::finish_shutdown() {
  if (::shutdown(fd_.get(), SHUT_WR) != 0) {
    close_with(errno_code(errno));
    return;
  }
  shut_sent_ = true;
  // Moved out first: a callback may call back into this connection.
  std::vector<Completion> waiters = std::move(shut_waiters_);
  shut_waiters_.clear();
  for (Completion& done : waiters)
    complete(done, {});
  // Both directions are finished; inside on_eof, end_of_input() closes once it returned.
  if (is_open() && eof_seen_ && !in_on_eof_) close_with({});
  if (is_open() && close_when_shut_) close_with({});
}

bool Conn::wants_read() const noexcept {
  return !paused_ && !user_paused_ && !draining_ && !eof_seen_ && !close_when_shut_;
}

void Conn::update_interest() {
  if (state_ != State::open) return;
  const bool reading = wants_read();
  io::Interest want = io::Interest::none;
  if (edge_triggered()) {
    want = io::Interest::writable | io::Interest::edge_triggered;
    if (reading) want |= io::Interest::readable;
  } else {
    if (reading) want |= io::Interest::readable;
    if (!outbound_.empty() || !datagrams_out_.empty()) want |= io::Interest::writable;
  }
  if (want == interest_) return;
  interest_ = want;
  if (auto changed = loop_.poller().modify(fd_.get(), want, token()); !changed) {
    loop_.logger().error("loop {}: cannot change interest: {}", loop_.index(),
                         changed.error().message);
  }
}

void Conn::check_water() {
  const ResolvedOptions& o = loop_.options();
  const std::size_t size = outbound_.buffered();
  if (size > o.write_hard_limit) {
    loop_.logger().warn("loop {}: closing {}: {} bytes outbound passed write_hard_limit {}",
                        loop_.index(), remote_.to_string(), size, o.write_hard_limit);
    close_with(Errc::write_limit_exceeded);
    return;
  }
  if (!paused_ && size > o.write_high_water) {
    paused_ = true;
    update_interest();
    loop_.call("on_backpressure", this, [&] {
      handler_->on_backpressure(*this, true);
      return Action::none;
    });
  } else if (paused_ && size <= o.write_low_water) {
    paused_ = false;
    update_interest();
    if (edge_triggered() && wants_read()) loop_.read_again(*this);  // no new edge may come
    loop_.call("on_backpressure", this, [&] {
      handler_->on_backpressure(*this, false);
      return Action::none;
    });
  }
}

void Conn::finish_pending(std::error_code error) {
  while (!pending_.empty()) {
    Completion done = std::move(pending_.front().done);
    pending_.pop_front();
    complete(done, error);
  }
}

void Conn::close_with(std::error_code error) {
  if (datagram_ != nullptr) return;  // a UDP listener's datagram: nothing to close
  if (state_ != State::open) return;
  state_ = State::closed;
  close_error_ = error ? error : make_error_code(Errc::connection_closed);
  if (connected_udp_) {
    // One last try without waiting; what the kernel still refuses fails below.
    (void)send_queued(true);
    for (QueuedDatagram& d : datagrams_out_)
      complete(d.done, error ? error : make_error_code(Errc::connection_closed));
    datagrams_out_.clear();
    datagrams_out_bytes_ = 0;
  }
  if (!outbound_.empty()) {
    // One last try without waiting, so a close right after a write usually delivers it.
    iovec iov[kMaxIov];
    const std::size_t count = outbound_.readable_iovecs(iov);
    const ssize_t n = send_iov(fd_.get(), iov, count);
    if (n > 0) {
      outbound_.discard(static_cast<std::size_t>(n));
      flushed_total_ += static_cast<std::size_t>(n);
      detail::add_own(loop_.counters().bytes_out, static_cast<std::size_t>(n));
    }
  }
  (void)loop_.poller().remove(fd_.get());
  while (!pending_.empty() && pending_.front().end <= flushed_total_) {
    Completion done = std::move(pending_.front().done);
    pending_.pop_front();
    complete(done, {});
  }
  finish_pending(error ? error : make_error_code(Errc::connection_closed));
  std::vector<Completion> waiters = std::move(shut_waiters_);
  shut_waiters_.clear();
  for (Completion& done : waiters)
    complete(done, error ? error : make_error_code(Errc::connection_closed));
  loop_.counters().connections.fetch_sub(1, std::memory_order_relaxed);
  const Action action =
      loop_.call("on_close", nullptr, [&] { return handler_->on_close(*this, error); });
  if (action == Action::shutdown) loop_.apply(*this, action);
  loop_.release_later(*this);
}

// ---- the user's side (loop thread) ---------------------------------------------------

std::string_view Conn::peek(std::size_t n) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return inbound_.peek(std::min(n, inbound_.buffered()));
}

std::string_view Conn::next(std::size_t n) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return inbound_.next(std::min(n, inbound_.buffered()));
}

std::size_t Conn::discard(std::size_t n) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return inbound_.discard(std::min(n, inbound_.buffered()));
}

std::size_t Conn::read(std::span<char> dst) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return inbound_.read(dst);
}

std::size_t Conn::inbound_buffered() const {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return inbound_.buffered();
}

std::error_code Conn::write(std::string_view bytes, Completion done) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return queue({&bytes, 1}, std::move(done));
}

std::error_code Conn::writev(std::span<const std::string_view> parts, Completion done) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return queue(parts, std::move(done));
}

std::error_code Conn::flush() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr) {
    datagram_->flush();
    return {};
  }
  if (state_ != State::open) return Errc::connection_closed;
  write_ready();
  return state_ == State::open ? std::error_code{} : make_error_code(Errc::connection_closed);
}

std::size_t Conn::outbound_buffered() const {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return connected_udp_ ? datagrams_out_bytes_ : outbound_.buffered();
}

void Conn::pause_reading() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (user_paused_ || datagram_ != nullptr) return;
  user_paused_ = true;
  update_interest();
}

void Conn::resume_reading() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (!user_paused_) return;
  user_paused_ = false;
  if (state_ != State::open) return;
  update_interest();
  // Edge-triggered: bytes may wait in the kernel with no new edge to report them.
  if (edge_triggered() && wants_read()) loop_.read_again(*this);
}

std::error_code Conn::close_after_flush(std::chrono::milliseconds deadline) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (state_ != State::open) return Errc::connection_closed;
  if (datagram_ != nullptr || connected_udp_ || outbound_.empty()) {
    close();  // nothing waits to be delivered
    return {};
  }
  close_when_shut_ = true;
  update_interest();  // reading stops: nothing read now could be answered
  // The deadline rides on the idle timeout, which no read moves any more; a read deadline
  // has nothing left to bound.
  idle_timeout_ = deadline.count() > 0 ? deadline : loop_.options().stop_timeout;
  last_read_ = loop_.now();
  read_deadline_ = {};
  deadline_armed_ = DeadlineClock::time_point::max();
  loop_.arm_deadline(*this);
  return shutdown_write();
}

std::error_code Conn::shutdown_write(Completion done) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr || connected_udp_) {  // UDP has no stream to end
    complete(done, Errc::unsupported);
    return Errc::unsupported;
  }
  if (state_ != State::open) {
    complete(done, Errc::connection_closed);
    return Errc::connection_closed;
  }
  if (shut_sent_) {
    complete(done, {});
    return {};
  }
  if (done) shut_waiters_.push_back(std::move(done));
  shut_requested_ = true;
  // Otherwise write_ready() finishes it when the last queued byte reached the kernel.
  if (outbound_.empty()) finish_shutdown();
  return {};
}

void Conn::set_idle_timeout(std::chrono::milliseconds timeout) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr || !is_open()) return;
  idle_timeout_ = std::max(timeout, std::chrono::milliseconds::zero());
  last_read_ = loop_.now();  // the new timeout counts from now
  if (idle_timeout_.count() > 0) loop_.arm_deadline(*this);
}

void Conn::set_read_deadline(DeadlineClock::time_point when) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr || !is_open()) return;
  read_deadline_ = when;
  if (when != DeadlineClock::time_point{}) loop_.arm_deadline(*this);
}

void Conn::set_write_deadline(DeadlineClock::time_point when) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr || !is_open()) return;
  write_deadline_ = when;
  if (when != DeadlineClock::time_point{}) loop_.arm_deadline(*this);
}

void Conn::set_deadline(DeadlineClock::time_point when) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr || !is_open()) return;
  read_deadline_ = write_deadline_ = when;
  if (when != DeadlineClock::time_point{}) loop_.arm_deadline(*this);
}

Conn::DeadlineClock::time_point Conn::next_deadline() const noexcept {
  auto due = DeadlineClock::time_point::max();
  if (idle_timeout_.count() > 0) due = last_read_ + idle_timeout_;
  if (read_deadline_ != DeadlineClock::time_point{}) due = std::min(due, read_deadline_);
  if (write_deadline_ != DeadlineClock::time_point{}) due = std::min(due, write_deadline_);
  return due;
}

bool Conn::deadline_passed(DeadlineClock::time_point now) {
  if (idle_timeout_.count() > 0 && last_read_ + idle_timeout_ <= now) return true;
  if (read_deadline_ != DeadlineClock::time_point{} && read_deadline_ <= now) return true;
  if (write_deadline_ != DeadlineClock::time_point{} && write_deadline_ <= now) {
    if (outbound_buffered() > 0) return true;
    write_deadline_ = {};  // met: nothing was left waiting for the peer
  }
  return false;
}

ConnRef Conn::ref() const {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (datagram_ != nullptr) return ConnRef();  // no connection for a handle to name
  return ConnRef(loop_.inbox(), slot_, generation_);
}

LoopHandle Conn::loop_handle() const {
  return LoopHandle(loop_.inbox());
}

std::size_t Conn::loop_index() const noexcept {
  return loop_.index();
}

Result<io::UniqueFd> Conn::dup() const {
  ACTNET_ASSERT_OWNER(loop_.owner());
  const int copy = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return Error{errno_code(errno), "dup of connection fd failed"};
  return io::UniqueFd(copy);
}

io::Status Conn::set_no_delay(bool on) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_tcp_no_delay(fd_.get(), on);
}
io::Status Conn::set_keep_alive(bool on) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_keep_alive(fd_.get(), on);
}
io::Status Conn::set_keep_alive(const io::KeepAlive& params) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_keep_alive(fd_.get(), params);
}
io::Status Conn::set_read_buffer(int bytes) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_recv_buffer(fd_.get(), bytes);
}
io::Status Conn::set_write_buffer(int bytes) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_send_buffer(fd_.get(), bytes);
}
io::Status Conn::set_linger(const io::Linger& linger) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  return io::set_linger(fd_.get(), linger);
}

void Conn::close() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  close_with({});
}

}  // namespace actnet
