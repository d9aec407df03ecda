#pragma once
// Conn is one connection as its event loop sees it — TCP, unix, or a connected UDP socket
// (is_connected_datagram()) — the socket, the inbound and outbound buffers, and the user's
// per-connection context. It is the loop-only view: every method must be called on the
// connection's loop (inside a handler callback, or a message the loop runs), which debug
// builds assert. Other threads use ref().
//
// The loop owns its Conns in a slab and reuses them. A Conn& is valid until on_close
// returns; keep a ConnRef, never the reference, beyond that.

#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "actnet/conn_ref.hpp"
#include "actnet/datagram_ref.hpp"
#include "actnet/export.hpp"
#include "actnet/io/elastic_ring_buffer.hpp"
#include "actnet/io/mixed_buffer.hpp"
#include "actnet/io/poller.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/loop_handle.hpp"
#include "actnet/offload.hpp"
#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/vector_queue.hpp"

namespace actnet {

class EventHandler;

namespace detail {
class EventLoop;
class UdpListener;
}  // namespace detail

/// One connection as its event loop sees it (TCP, unix or connected UDP): the socket, the
/// buffers and the user's context. Every method must be called on the connection's loop,
/// which debug builds assert; other threads use ref(). A Conn& is valid until on_close
/// returns: keep a ConnRef, never the reference, beyond that.
class ACTNET_API Conn {
 public:
  /// "As many as there are": the default count of peek(), next() and discard().
  static constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

  /// reading (loop thread). Views stay valid until the next call on this Conn.
  /// Up to n buffered bytes, contiguous, not consumed (copies only when they wrap the ring).
  std::string_view peek(std::size_t n = kAll);
  /// Up to n buffered bytes, consumed.
  std::string_view next(std::size_t n = kAll);
  /// Drops up to n buffered bytes; returns how many.
  std::size_t discard(std::size_t n = kAll);
  /// Copies up to dst.size() buffered bytes into `dst` and consumes them; returns how many.
  std::size_t read(std::span<char> dst);
  /// Inbound bytes buffered and not yet consumed (at most Options::read_buffer_cap).
  std::size_t inbound_buffered() const;

  /// writing (loop thread). The socket is tried first; what the kernel does not take is
  /// buffered and sent when the socket is writable. `done` runs once, on this loop, when the
  /// bytes reached the kernel or with the error that stopped them. Errors: connection_closed
  /// on a closed connection, write_limit_exceeded (the connection is then closed). On a
  /// connected UDP socket each call is one datagram (is_connected_datagram()).
  std::error_code write(std::string_view bytes, Completion done = {});
  /// write() of several buffers, in order, as one (one datagram on a connected UDP socket).
  std::error_code writev(std::span<const std::string_view> parts, Completion done = {});
  /// Tries to hand buffered bytes to the kernel now.
  std::error_code flush();
  /// A UDP listener's datagram (see is_datagram()): one datagram to `peer`, sent with the
  /// loop's next sendmmsg batch; `done` runs once it was offered to the kernel. Errc::unsupported
  /// on a stream connection.
  std::error_code send_to(const io::SocketAddress& peer, std::string_view bytes,
                          Completion done = {});
  /// Outbound bytes the kernel has not taken yet (what the backpressure marks measure).
  std::size_t outbound_buffered() const;

  /// half-close (loop thread). shutdown_write() ends this side's byte stream while
  /// reading goes on: once every byte already queued has reached the kernel, the socket's
  /// write side is shut (shutdown(SHUT_WR): the peer reads EOF) — at once when nothing is
  /// queued. Later writes fail with Errc::write_shut_down, through their completions too, and
  /// leave the connection open. `done` runs once, on this loop, when the write side was shut,
  /// or with the error that closed the connection first. Idempotent. Returns (and `done`
  /// gets) connection_closed on a closed connection, unsupported on a datagram.
  /// A peer's EOF is EventHandler::on_eof: see there how a connection outlives it. When both
  /// directions are finished (the peer's EOF read and this side's shutdown done), the
  /// connection closes by itself with on_close and an empty error.
  std::error_code shutdown_write(Completion done = {});
  bool write_shut_down() const noexcept { return shut_requested_; }  ///< shutdown_write() called
  bool peer_shut_down() const noexcept { return eof_seen_; }         ///< the peer's EOF was read

  /// closing without losing bytes (loop thread). close() delivers what the kernel takes
  /// at once and drops the rest (their completions fail). close_after_flush() instead stops
  /// reading and refuses new writes (write_shut_down), delivers everything already queued,
  /// sends FIN, then closes: on_close with an empty error. If the peer does not take the
  /// bytes within `deadline` (0: Options::stop_timeout), it closes with Errc::timed_out.
  std::error_code close_after_flush(std::chrono::milliseconds deadline = {});

  /// idle timeout (loop thread): closes the connection with Errc::timed_out (on_close
  /// gets it) once `timeout` passed without an inbound byte; every read re-arms it; zero
  /// turns it off. Starts as Options::idle_timeout. Measured from the loop's turn clock, so
  /// it fires up to one turn late, never early. Costs one heap entry per connection per
  /// timeout period, not per read.
  void set_idle_timeout(std::chrono::milliseconds timeout);
  /// The current idle timeout (zero: none).
  std::chrono::milliseconds idle_timeout() const noexcept { return idle_timeout_; }

  // ---- deadlines (loop thread), Go's SetReadDeadline/SetWriteDeadline/SetDeadline for a
  // connection the loop reads for you. A deadline is a point in time on the steady clock.
  // Passing one closes the connection with Errc::timed_out (on_close gets it). Setting one
  // again replaces it; a later time costs no message, no syscall and no heap work (the
  // loop's heap entry re-arms itself when it comes due), so re-arming on every on_traffic
  // is cheap. `{}` clears it. Checked against the loop's turn clock: a deadline fires up to
  // one turn late, never early. The overloads that take a duration count from now; zero or
  // negative clears. They are separate from idle_timeout, which stays in force.
  using DeadlineClock = std::chrono::steady_clock;  ///< the clock deadlines are points on

  /// Loop thread. The connection must be done reading by `when`: once it passes, the
  /// connection is closed with Errc::timed_out whether or not bytes arrived before it — as
  /// a Go connection whose goroutine is always in Read. So to demand "some bytes every D",
  /// re-arm it in on_traffic (or use set_idle_timeout); to bound how long a request may take
  /// to arrive (a slowloris client sending a byte a second), set it when the request starts
  /// and clear it when it is complete. It fires while reading is paused too; a
  /// close_after_flush() clears it (nothing is read any more). Other threads:
  /// ConnRef::set_read_deadline.
  void set_read_deadline(DeadlineClock::time_point when);
  /// Loop thread. Bytes written must have reached the kernel by `when`: if at that moment
  /// bytes still wait in the connection's output (outbound_buffered() > 0: a peer that does
  /// not read), the connection is closed with Errc::timed_out; if nothing waits, the
  /// deadline was met and clears itself (write_deadline() is then `{}`). Set it before the
  /// writes it should bound, as in Go.
  void set_write_deadline(DeadlineClock::time_point when);
  /// Loop thread: both of the above at once.
  void set_deadline(DeadlineClock::time_point when);
  /// Loop thread: the duration forms (from now; zero or negative clears):
  /// set_read_deadline(now + `after`).
  template <class Rep, class Period>
  void set_read_deadline(std::chrono::duration<Rep, Period> after) {
    set_read_deadline(deadline_after(after));
  }
  /// Loop thread: set_write_deadline(now + `after`); zero or negative clears.
  template <class Rep, class Period>
  void set_write_deadline(std::chrono::duration<Rep, Period> after) {
    set_write_deadline(deadline_after(after));
  }
  /// Loop thread: set_deadline(now + `after`); zero or negative clears.
  template <class Rep, class Period>
  void set_deadline(std::chrono::duration<Rep, Period> after) {
    set_deadline(deadline_after(after));
  }
  /// Loop thread: the read deadline in force (`{}`: none).
  DeadlineClock::time_point read_deadline() const noexcept { return read_deadline_; }
  /// Loop thread: the write deadline in force (`{}`: none; a met one clears itself).
  DeadlineClock::time_point write_deadline() const noexcept { return write_deadline_; }

  /// flow control (loop thread): stop reading from the socket until resume_reading(),
  /// on top of the engine's own backpressure pause (both must be off for reading to go on).
  /// A proxy pauses one side while the other cannot send. Idempotent.
  void pause_reading();
  /// Undoes pause_reading(). Idempotent.
  void resume_reading();
  /// Whether pause_reading() is in effect (the engine's own backpressure pause not counted).
  bool reading_paused() const noexcept { return user_paused_; }

  // ---- identity (loop thread)
  /// The handle through which any thread (or a later callback) reaches this connection.
  ConnRef ref() const;
  /// The connection's loop, for work that must come back to it later (LoopHandle::post).
  LoopHandle loop_handle() const;
  /// Which of the engine's loops owns this connection (0 .. Engine::loops() - 1).
  std::size_t loop_index() const noexcept;
  /// This side's address.
  const io::SocketAddress& local_address() const noexcept { return local_; }
  /// The peer's address (a datagram's sender on a UDP listener).
  const io::SocketAddress& remote_address() const noexcept { return remote_; }
  /// The socket's file descriptor, owned by the connection: do not close it.
  int fd() const noexcept { return fd_.get(); }
  /// A duplicate of the socket, close-on-exec, that the caller owns.
  Result<io::UniqueFd> dup() const;
  /// False once the connection closed (inside on_close, and for a Conn& kept too long).
  bool is_open() const noexcept { return state_ == State::open; }
  /// True inside on_traffic for a datagram that reached a udp:// listener. Then the inbound
  /// buffer holds just that datagram, remote_address() is its sender, write()/writev() reply
  /// with one datagram, close() does nothing and ref() is empty: the Conn is valid only
  /// during that on_traffic (details in actors/src/udp_listener.hpp).
  bool is_datagram() const noexcept { return datagram_ != nullptr; }
  /// A datagram's handle for answering later from any thread (an empty one on a stream).
  DatagramRef datagram_ref() const;
  /// True for a connected UDP socket: Client::dial("udp://...") or an enrolled SOCK_DGRAM
  /// socket. Unlike a listener's datagram it is a whole connection (on_open, on_close, ref()),
  /// but each on_traffic sees exactly one datagram in the inbound buffer (what it leaves
  /// unread is dropped; datagrams never run together), and each write()/writev() — or
  /// ConnRef::async_write/async_writev — sends exactly one datagram. Details in
  /// actors/src/conn_datagram.cpp: the send queue's bound, truncation, ECONNREFUSED.
  bool is_connected_datagram() const noexcept { return connected_udp_; }

  // ---- the user's context (loop thread)
  /// Replaces the context with a T built from `args`; returns it.
  template <class T, class... Args>
  T& emplace_context(Args&&... args) {
    return context_.emplace<T>(std::forward<Args>(args)...);
  }
  /// The context if it holds a T, else nullptr.
  template <class T>
  T* context() noexcept {
    return std::any_cast<T>(&context_);
  }
  /// Empties the context.
  void reset_context() noexcept { context_.reset(); }

  // ---- socket options (loop thread)
  /// TCP_NODELAY on or off.
  io::Status set_no_delay(bool on);
  /// SO_KEEPALIVE on or off, keeping the kernel's timings.
  io::Status set_keep_alive(bool on);
  /// SO_KEEPALIVE on with these timings (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).
  io::Status set_keep_alive(const io::KeepAlive& params);
  /// SO_RCVBUF.
  io::Status set_read_buffer(int bytes);
  /// SO_SNDBUF.
  io::Status set_write_buffer(int bytes);
  /// SO_LINGER.
  io::Status set_linger(const io::Linger& linger);

  /// closing (loop thread): flushes what it can without waiting, then closes; on_close
  /// runs before this returns. Idempotent.
  void close();

  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

 private:
  friend class detail::EventLoop;
  friend void detail::submit_offload(Conn&, UniqueFunction<void()>,
                                     UniqueFunction<void(Conn*, std::error_code)>);
  friend class detail::UdpListener;
  enum class State : std::uint8_t { free, open, closed };
  struct Pending {
    std::uint64_t end;  // stream offset the bytes end at
    Completion done;
  };
  // A connected UDP socket's datagram that the kernel did not take at once (EAGAIN).
  struct QueuedDatagram {
    std::string bytes;
    Completion done;
  };
  static constexpr std::size_t kMaxQueuedDatagrams = 256;  // and write_high_water bytes
  static constexpr std::size_t kDatagramsPerRead = 16;     // recv() calls per readable event

  Conn(detail::EventLoop& loop, io::BufferPool& pool, std::size_t read_cap, std::size_t write_cap);

  // The loop's side: see conn.cpp.
  void open(io::UniqueFd fd, const io::SocketAddress& local, const io::SocketAddress& peer,
            std::uint32_t slot, std::uint32_t generation, bool connected_datagram = false);
  std::error_code queue(std::span<const std::string_view> parts, Completion done);
  // false: the connection closed. short_read_drains: edge-triggered and the event carried no
  // hang-up, so a read that returns less than asked has emptied the socket (see conn.cpp).
  bool read_ready(std::size_t budget, bool& more, bool short_read_drains = false);
  bool end_of_input();  // false: the connection closed
  void failed_after_eof();
  void write_ready();
  void finish_shutdown();
  bool wants_read() const noexcept;
  void close_with(std::error_code error);
  void finish_pending(std::error_code error);
  void update_interest();
  void check_water();
  void reset() noexcept;
  std::uint64_t token() const noexcept;
  bool edge_triggered() const noexcept;
  // Deadlines: the earliest in force (max: none), and whether one has passed at `now` (a
  // write deadline met with nothing waiting clears itself here).
  DeadlineClock::time_point next_deadline() const noexcept;
  bool deadline_passed(DeadlineClock::time_point now);
  template <class Rep, class Period>
  static DeadlineClock::time_point deadline_after(std::chrono::duration<Rep, Period> after) {
    if (after <= after.zero()) return {};
    return DeadlineClock::now() + std::chrono::ceil<DeadlineClock::duration>(after);
  }
  // Connected datagram mode (conn_datagram.cpp).
  bool read_datagrams();  // false: the connection closed
  std::error_code send_datagram(std::span<const std::string_view> parts, Completion done);
  std::error_code send_queued(bool closing);  // a connection-level error, not yet handled
  void note_truncated();

  detail::EventLoop& loop_;
  EventHandler* handler_ = nullptr;  // the engine's, or a Client's (set when it opens)
  io::UniqueFd fd_;
  io::SocketAddress local_, remote_;
  io::ElasticRingBuffer inbound_;
  io::MixedBuffer outbound_;
  std::any context_;
  VectorQueue<Pending> pending_;     // no memory while no write waits with a callback
  std::uint64_t queued_total_ = 0;   // bytes ever accepted for writing
  std::uint64_t flushed_total_ = 0;  // bytes ever handed to the kernel
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
  io::Interest interest_ = io::Interest::none;
  State state_ = State::free;
  bool paused_ = false;      // backpressure: reading stopped
  bool read_ready_ = false;  // edge-triggered: readable bytes left behind by the chunk limit
  bool draining_ = false;    // engine stopping: reading stopped for good
  detail::UdpListener* datagram_ = nullptr;  // set: the per-datagram view of a UDP listener
  bool user_paused_ = false;
  static constexpr std::size_t kCorkLimit = 64 * 1024;  // corked bytes flushed at once
  bool flush_listed_ = false;
  bool close_when_shut_ = false;  // close_after_flush(): close once the write side is shut
  std::error_code close_error_;   // why it closed (connection_closed for a plain close)  // on the
                                  // loop's list to flush when the mailbox drain ends  //
                                  // pause_reading(): reading stopped until resume_reading()
  // Half-close. eof_seen_: the peer's EOF was read (on_eof ran or runs); nothing more is
  // read. in_on_eof_: on_eof is running, so a shutdown that finishes both directions leaves
  // the close to end_of_input(), after the callback. shut_requested_: shutdown_write() was called,
  // no write is accepted; shut_sent_: the queued bytes were flushed and the socket's write side is
  // shut.
  bool eof_seen_ = false;
  bool in_on_eof_ = false;
  bool shut_requested_ = false;
  bool shut_sent_ = false;
  std::vector<Completion> shut_waiters_;  // shutdown_write()'s callbacks until shut_sent_
  // Deadlines: the loop's heap holds one live entry per connection, at deadline_armed_, no
  // later than the earliest of the idle deadline (last_read_ + idle_timeout_), the read and
  // the write deadline. A deadline moved later leaves that entry alone; when it comes due
  // it re-arms at the new time (lazy: no work per read or per re-arm).
  std::chrono::milliseconds idle_timeout_{0};
  DeadlineClock::time_point last_read_{};
  DeadlineClock::time_point read_deadline_{};
  DeadlineClock::time_point write_deadline_{};
  DeadlineClock::time_point deadline_armed_ = DeadlineClock::time_point::max();
  // Connected datagram mode: a connected UDP socket, and the datagrams waiting for the
  // kernel (never merged into outbound_, which is a byte stream).
  bool connected_udp_ = false;
  VectorQueue<QueuedDatagram> datagrams_out_;
  std::size_t datagrams_out_bytes_ = 0;
};

}  // namespace actnet
