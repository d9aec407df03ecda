#pragma once
// Client runs an EventHandler for outbound connections: on loops of its own (start()) or on
// a running engine's loops (attach()). Its connections are ordinary Conns to the handler —
// on_open, on_traffic, on_close, ConnRef — exactly like accepted ones.
//
// dial() never blocks a loop (gnet's Dial blocks the caller; this one does not block even
// that, beyond name resolution): the address is resolved on the calling thread, then a
// message asks a loop to start a non-blocking connect, wait for it in its epoll, and give
// up at the dial's deadline, kept in the loop's own deadline heap. The callback hears the
// outcome: success (after on_open ran) with the connection's ConnRef, or the error —
// connection refused, unreachable, Errc::timed_out, Errc::shutting_down. A failed dial
// never runs on_open or on_close. enroll() adopts a socket that is already connected.
//
// A udp:// dial gives a connected UDP socket in connected datagram mode
// (Conn::is_connected_datagram()): on_open, then one on_traffic per datagram received, one
// datagram per write, and on_close when it closes — on its own, when a stop closes it
// (Errc::shutting_down), or when the peer's port turns out to have nobody listening
// (ECONNREFUSED after the first datagram; UDP has no handshake, so the dial itself
// succeeds). The rules are in actors/src/conn_datagram.cpp.

#include <any>
#include <chrono>
#include <memory>
#include <string_view>
#include <system_error>

#include "actnet/conn_ref.hpp"
#include "actnet/engine.hpp"
#include "actnet/event_handler.hpp"
#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/options.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

namespace detail {
struct ClientCore;
}

/// Runs once, on the connection's loop (or on the caller's thread when the request could
/// not be queued): an empty error and the new connection's ref, or why the dial failed.
using DialCallback = UniqueFunction<void(std::error_code, ConnRef)>;

/// Per-dial settings for Client::dial() and Client::enroll().
struct ACTNET_API DialOptions {
  std::chrono::milliseconds timeout{10'000};  ///< connect deadline; 0: none
  std::any context;                           ///< set as the Conn's context before on_open
};

/// Outbound connections for an EventHandler, on loops of its own (start()) or on a running
/// engine's (attach()); they are ordinary Conns to the handler. dial() never blocks a loop;
/// enroll() adopts a socket that is already connected.
class ACTNET_API Client {
 public:
  /// Any thread: boots the client's own loops (Options::num_event_loops etc.; listener
  /// options are ignored). Errors: an invalid option, or loops that could not be created.
  static Result<Client> start(EventHandler& handler, const Options& options = {});
  /// Any thread: dials onto the loops of a running `engine`, its connections calling
  /// `handler`. They stop with the engine. The handler must outlive the Client's connections.
  static Result<Client> attach(EventHandler& handler, const Engine& engine);

  /// Movable: the moved-from Client owns nothing.
  Client(Client&&) noexcept;
  /// Moves; the Client assigned over is destroyed first (stopped and waited for).
  Client& operator=(Client&&) noexcept;
  ~Client();  ///< stop(), then wait(): not on one of the loops it waits for

  /// Any thread: resolves `url` ("tcp://127.0.0.1:9000", "tcp6://[::1]:80",
  /// "unix:///run/app.sock", "udp://127.0.0.1:53", "udp6://[::1]:53"; no scheme means tcp),
  /// then posts the connect to a loop (round robin). A host name resolves with getaddrinfo
  /// on this thread, which may block: from a loop, dial numeric addresses only. The resolved
  /// addresses are tried in order until one connects, all within the one timeout
  /// ("tcp://:9000" tries 127.0.0.1, then ::1; a UDP connect() fails only locally, so a udp://
  /// dial nearly always takes the first). The return value is an error only when nothing was posted
  /// (bad address, stopped client); `done` has then already run on this thread with it.
  std::error_code dial(std::string_view url, DialOptions options = {}, DialCallback done = {});
  /// Any thread: adopts `fd`, an already connected socket — stream (TCP or unix) or UDP
  /// (SOCK_DGRAM, told apart by SO_TYPE, served in connected datagram mode); it is made
  /// non-blocking and close-on-exec. Errc::unsupported for any other socket type.
  std::error_code enroll(io::UniqueFd fd, DialOptions options = {}, DialCallback done = {});

  /// Any thread, never blocks: stops dialing and closes the client's connections. Own
  /// loops drain gracefully (pending writes are flushed up to Options::stop_timeout, then
  /// on_close with Errc::shutting_down); attached, each connection closes on its loop after
  /// a last flush. Errc::shutting_down when already stopping.
  std::error_code stop();
  /// Any thread but a loop's: waits until stop() has finished (own loops joined; attached:
  /// every loop has closed the client's connections, or stopped).
  io::Status wait();

  /// Any thread: the client's open connections.
  std::size_t count_connections() const;

 private:
  explicit Client(std::unique_ptr<detail::ClientCore> core);
  std::unique_ptr<detail::ClientCore> core_;
};

}  // namespace actnet
