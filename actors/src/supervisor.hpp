#pragma once
// The Supervisor is the actor that runs an engine from the thread that called run(): it
// binds the listeners, starts the loops, calls on_boot; owns the Boost.Asio io_context whose
// steady_timers drive the ticker, the watchdog and the stop deadline; accepts connections
// when listeners are not per-loop and hands each to a loop chosen by the balancer; and on
// stop drains the loops, joins them and calls on_shutdown.
//
// Its own turn: epoll_wait on the listeners, its mailbox and the signal eventfd, with the
// timeout set by the earliest Asio timer, then accept, drain the mailbox, and poll the
// io_context to run the expired timers' handlers. (io_context hides its epoll fd, so the
// supervisor waits on its own and lets Asio only keep the timers.)

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "acceptor.hpp"
#include "actnet/engine.hpp"
#include "actnet/io/address.hpp"
#include "actnet/io/poller.hpp"
#include "actnet/io/unix_socket.hpp"
#include "actnet/runtime/thread_owner.hpp"
#include "engine_core.hpp"
#include "event_loop.hpp"
#include "load_balancer.hpp"
#include "signal_watch.hpp"

namespace actnet::detail {

class Supervisor {
 public:
  // The constructing thread becomes the supervisor's.
  Supervisor(std::shared_ptr<EngineCore> core, std::vector<std::string> addresses);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Supervisor thread: binds, starts the loops, calls on_boot. On error nothing is left
  // running.
  io::Status boot();
  // Supervisor thread: serves until every loop has stopped, then calls on_shutdown.
  void serve();

  // Supervisor thread (mailbox tasks).
  void stop(std::chrono::milliseconds deadline);
  void loop_finished(std::size_t index);

 private:
  struct Listener {
    io::UniqueFd tcp;
    std::optional<io::UnixListener> unix_socket;
    int fd() const noexcept { return unix_socket ? unix_socket->fd() : tcp.get(); }
  };

  io::Status bind_all(std::vector<io::Endpoint>& endpoints);
  void accept_from(std::size_t listener);
  void close_listeners();
  void arm_ticker(std::chrono::milliseconds delay);
  void arm_housekeeping();
  void housekeeping();
  int timeout_ms() const;
  Engine engine() const;

  std::shared_ptr<EngineCore> core_;
  std::vector<std::string> addresses_;
  ThreadOwner owner_;
  boost::asio::io_context io_;
  boost::asio::steady_timer ticker_{io_};
  boost::asio::steady_timer housekeeping_{io_};
  boost::asio::steady_timer deadline_{io_};
  bool ticker_armed_ = false, housekeeping_armed_ = false, deadline_armed_ = false;
  std::unique_ptr<io::Poller> poller_;
  std::unique_ptr<SignalWatch> signals_;
  std::vector<Listener> listeners_;
  std::unique_ptr<Acceptor> acceptor_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::int64_t> last_reported_turn_;  // watchdog: one warning per long turn
  std::unique_ptr<LoadBalancer> balancer_;
  std::size_t loops_running_ = 0;
  bool stopping_ = false;
};

}  // namespace actnet::detail
