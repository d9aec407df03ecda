#include "supervisor.hpp"

#include <algorithm>
#include <system_error>

#include "actnet/io/resolve.hpp"
#include "actnet/io/socket.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/runtime/error.hpp"
#include "udp_binding.hpp"

namespace actnet::detail {
namespace {

constexpr std::uint64_t kMailboxToken = ~std::uint64_t{0};
constexpr std::uint64_t kSignalToken = ~std::uint64_t{0} - 1;
constexpr std::size_t kTimerBudget = 16;  // timer handlers run per supervisor turn

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Error failure(std::error_code code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace

Supervisor::Supervisor(std::shared_ptr<EngineCore> core, std::vector<std::string> addresses)
    : core_(std::move(core)), addresses_(std::move(addresses)) {}

Supervisor::~Supervisor() {
  for (auto& loop : loops_)
    loop->join();
  core_->supervisor_inbox.close([](SupervisorTask&) noexcept {});
}

Engine Supervisor::engine() const {
  return Engine(core_);
}

io::Status Supervisor::boot() {
  ACTNET_ASSERT_OWNER(owner_);
  const ResolvedOptions& o = core_->options;
  if (addresses_.empty() && !core_->client_only) {
    return failure(Errc::invalid_argument, "no address to listen on");
  }
  std::vector<io::Endpoint> endpoints;
  for (const std::string& text : addresses_) {
    auto endpoint = io::parse_endpoint(text);
    if (!endpoint) return endpoint.error();
    endpoints.push_back(std::move(*endpoint));
  }

  auto poller = io::make_default_poller();
  if (!poller) return poller.error();
  poller_ = std::move(*poller);
  if (auto added =
          poller_->add(core_->supervisor_inbox.wakeup_fd(), io::Interest::readable, kMailboxToken);
      !added) {
    return added.error();
  }
  if (o.handle_signals) {
    try {
      signals_ = std::make_unique<SignalWatch>();
    } catch (const std::system_error& e) {
      return failure(e.code(), e.what());
    }
    if (auto added = poller_->add(signals_->fd(), io::Interest::readable, kSignalToken); !added) {
      return added.error();
    }
  }

  try {
    for (std::size_t i = 0; i < o.loops; ++i)
      loops_.push_back(std::make_unique<EventLoop>(*core_, i));
  } catch (const std::system_error& e) {
    return failure(e.code(), std::string("cannot create an event loop: ") + e.what());
  }
  for (auto& loop : loops_)
    core_->inboxes.push_back(loop->inbox());
  last_reported_turn_.assign(loops_.size(), 0);
  balancer_ = std::make_unique<LoadBalancer>(o.load_balancing, core_->counters);
  acceptor_ = std::make_unique<Acceptor>(*core_, "");

  if (auto bound = bind_all(endpoints); !bound) return bound;

  for (auto& loop : loops_)
    loop->start();
  loops_running_ = loops_.size();

  const Engine handle = engine();
  Engine mutable_handle = handle;
  Action action = Action::none;
  try {
    action = core_->handler.on_boot(mutable_handle);
  } catch (const std::exception& e) {
    core_->logger->error("on_boot threw: {}", e.what());
    action = Action::shutdown;
  }
  if (o.ticker) arm_ticker(std::chrono::milliseconds(0));
  arm_housekeeping();
  if (action == Action::shutdown) core_->request_stop(o.stop_timeout);
  return io::ok_status();
}

io::Status Supervisor::bind_all(std::vector<io::Endpoint>& endpoints) {
  const ResolvedOptions& o = core_->options;
  for (io::Endpoint& endpoint : endpoints) {
    if (endpoint.is_unix()) {
      std::string path = endpoint.path;
      if (endpoint.is_abstract()) path[0] = '\0';
      io::UnixListenOptions unix_options;
      if (o.unix_socket_mode) unix_options.mode = static_cast<mode_t>(*o.unix_socket_mode);
      auto listener = io::UnixListener::listen(path, unix_options);
      if (!listener) return listener.error();
      Listener l;
      l.unix_socket.emplace(std::move(*listener));
      listeners_.push_back(std::move(l));
      continue;
    }
    auto resolved = io::resolve(endpoint, io::ResolveFor::bind);
    if (!resolved) return resolved.error();
    io::SocketAddress address = resolved->front();
    if (endpoint.is_datagram()) {  // one socket per loop, read by that loop (udp_binding.hpp)
      auto sockets = bind_udp_sockets(o, address, loops_.size());
      if (!sockets) return sockets.error();
      for (std::size_t i = 0; i < sockets->size(); ++i) {
        io::UniqueFd& fd = (*sockets)[i];
        {
          std::lock_guard lock(core_->listeners_mutex);
          core_->listener_fds.push_back(fd.get());
          if (i == 0) {
            if (auto local = io::local_address(fd.get()); local) core_->bound.push_back(*local);
          }
        }
        try {
          loops_[i]->adopt_udp(std::move(fd));
        } catch (const std::system_error& e) {
          return failure(e.code(), e.what());
        }
      }
      continue;
    }
    io::BindOptions bind{.reuse_addr = o.reuse_addr, .reuse_port = o.reuse_port};
    if (o.reuse_port) {
      // One listener per loop on the same port; with port 0 the first picks it for all.
      for (auto& loop : loops_) {
        auto fd = io::listen_tcp(address, bind);
        if (!fd) return fd.error();
        if (!o.bind_to_device.empty()) {
          if (auto s = io::bind_to_device(fd->get(), o.bind_to_device); !s) return s.error();
        }
        auto local = io::local_address(fd->get());
        if (local) address = *local;
        {
          std::lock_guard lock(core_->listeners_mutex);
          core_->listener_fds.push_back(fd->get());
          if (&loop == &loops_.front()) core_->bound.push_back(address);
        }
        try {
          loop->adopt_listener(std::move(*fd));
        } catch (const std::system_error& e) {
          return failure(e.code(), e.what());
        }
      }
      continue;
    }
    auto fd = io::listen_tcp(address, bind);
    if (!fd) return fd.error();
    if (!o.bind_to_device.empty()) {
      if (auto s = io::bind_to_device(fd->get(), o.bind_to_device); !s) return s.error();
    }
    Listener l;
    l.tcp = std::move(*fd);
    listeners_.push_back(std::move(l));
  }
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    const int fd = listeners_[i].fd();
    if (auto added = poller_->add(fd, io::Interest::readable, i); !added) return added.error();
    auto local = listeners_[i].unix_socket
                     ? Result<io::SocketAddress>(listeners_[i].unix_socket->address())
                     : io::local_address(fd);
    std::lock_guard lock(core_->listeners_mutex);
    core_->listener_fds.push_back(fd);
    if (local) core_->bound.push_back(*local);
  }
  return io::ok_status();
}

int Supervisor::timeout_ms() const {
  std::optional<boost::asio::steady_timer::time_point> earliest;
  auto consider = [&](bool armed, const boost::asio::steady_timer& t) {
    if (armed && (!earliest || t.expiry() < *earliest)) earliest = t.expiry();
  };
  consider(ticker_armed_, ticker_);
  consider(housekeeping_armed_, housekeeping_);
  consider(deadline_armed_, deadline_);
  if (!earliest) return -1;
  const auto left = *earliest - boost::asio::steady_timer::clock_type::now();
  if (left <= left.zero()) return 0;
  // Round up, so the wait never ends just before the timer is due.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

void Supervisor::serve() {
  ACTNET_ASSERT_OWNER(owner_);
  while (loops_running_ > 0) {
    int timeout = timeout_ms();
    const bool sleeping = timeout != 0 && core_->supervisor_inbox.prepare_to_sleep();
    if (!sleeping) timeout = 0;
    auto events = poller_->wait(timeout);
    if (sleeping) core_->supervisor_inbox.awake();
    if (events) {
      for (const io::PollEvent& ev : *events) {
        if (ev.token == kMailboxToken) {
          core_->supervisor_inbox.acknowledge_wakeup();
        } else if (ev.token == kSignalToken) {
          if (const int signo = signals_->take(); signo != 0) {
            core_->logger->info("signal {} received: stopping gracefully", signo);
            core_->request_stop(core_->options.stop_timeout);
          }
        } else if (!stopping_) {
          accept_from(static_cast<std::size_t>(ev.token));
        }
      }
    }
    core_->supervisor_inbox.drain(256, [this](SupervisorTask& task) noexcept { task(*this); });
    // Expired timers, a bounded number per turn: io_.poll() runs until nothing is ready, so a
    // timer its own handler re-arms already due (a tick returning 0 ms, or one slower than
    // its delay) would keep it there for good, and listeners and mailbox would starve.
    io_.restart();
    for (std::size_t i = 0; i < kTimerBudget && io_.poll_one() != 0; ++i) {
    }
  }
  for (auto& loop : loops_)
    loop->join();
  // Offloaded jobs still queued run now; their answers find the loops closed.
  core_->release_workers();
  ticker_.cancel();
  housekeeping_.cancel();
  deadline_.cancel();
  ticker_armed_ = housekeeping_armed_ = deadline_armed_ = false;
  io_.restart();
  io_.poll();
  close_listeners();
  Engine handle = engine();
  try {
    core_->handler.on_shutdown(handle);
  } catch (const std::exception& e) {
    core_->logger->error("on_shutdown threw: {}", e.what());
  }
}

void Supervisor::accept_from(std::size_t index) {
  acceptor_->drain(listeners_[index].fd(), [this](io::Accepted&& a) {
    const std::size_t loop = balancer_->next(a.peer);
    // Counted before the loop sees it, so least-connections spreads a burst evenly.
    core_->counters[loop]->connections.fetch_add(1, std::memory_order_relaxed);
    LoopMessage message(AcceptMsg{std::move(a.fd), a.peer});
    if (loops_[loop]->post(std::move(message)) != PushResult::ok) {
      core_->counters[loop]->connections.fetch_sub(1, std::memory_order_relaxed);
    }
  });
}

void Supervisor::close_listeners() {
  {
    // Forget the numbers before closing them: an Engine::dup() on another thread must never
    // duplicate a closed descriptor, or a newer one that reused its number.
    std::lock_guard lock(core_->listeners_mutex);
    core_->listener_fds.clear();
  }
  for (Listener& l : listeners_)
    (void)poller_->remove(l.fd());
  listeners_.clear();  // unix listeners remove their socket files
}

void Supervisor::stop(std::chrono::milliseconds deadline) {
  ACTNET_ASSERT_OWNER(owner_);
  if (stopping_) return;
  stopping_ = true;
  core_->logger->debug("stopping: draining {} loops, deadline {} ms", loops_.size(),
                       deadline.count());
  close_listeners();
  ticker_.cancel();
  ticker_armed_ = false;
  for (auto& loop : loops_) {
    (void)loop->post(TaskMsg{[](EventLoop& l) { l.begin_drain(); }});
  }
  deadline_.expires_after(deadline);
  deadline_armed_ = true;
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    deadline_armed_ = false;
    if (ec) return;
    core_->logger->warn("stop deadline passed: closing what has not drained");
    for (auto& loop : loops_)
      loop->request_finish();
  });
}

void Supervisor::loop_finished(std::size_t) {
  ACTNET_ASSERT_OWNER(owner_);
  if (loops_running_ > 0) --loops_running_;
  if (!stopping_) {  // a loop cannot end on its own; treat it as a stop of the engine
    core_->request_stop(core_->options.stop_timeout);
  }
}

void Supervisor::arm_ticker(std::chrono::milliseconds delay) {
  ticker_.expires_after(delay);
  ticker_armed_ = true;
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    ticker_armed_ = false;
    if (ec || stopping_) return;
    Tick tick;
    try {
      tick = core_->handler.on_tick();
    } catch (const std::exception& e) {
      core_->logger->error("on_tick threw: {}", e.what());
    }
    if (tick.action == Action::shutdown) {
      core_->request_stop(core_->options.stop_timeout);
      return;
    }
    arm_ticker(std::max(tick.delay, std::chrono::milliseconds(0)));
  });
}

void Supervisor::arm_housekeeping() {
  const auto threshold = core_->options.watchdog_threshold;
  if (threshold.count() == 0) return;
  housekeeping_.expires_after(std::max(std::chrono::milliseconds(5), threshold / 4));
  housekeeping_armed_ = true;
  housekeeping_.async_wait([this](const boost::system::error_code& ec) {
    housekeeping_armed_ = false;
    if (ec) return;
    housekeeping();
    if (loops_running_ > 0) arm_housekeeping();
  });
}

// The watchdog: a loop whose current turn started longer ago than the threshold is stuck in
// a callback (or in actnet); say which, once per turn.
void Supervisor::housekeeping() {
  const std::int64_t now = now_ns();
  const std::int64_t threshold =
      std::chrono::duration_cast<std::chrono::nanoseconds>(core_->options.watchdog_threshold)
          .count();
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    LoopCounters& c = *core_->counters[i];
    const std::int64_t started = c.turn_started_ns.load(std::memory_order_relaxed);
    if (started == 0 || now - started < threshold || started == last_reported_turn_[i]) continue;
    last_reported_turn_[i] = started;
    c.watchdog_hits.fetch_add(1, std::memory_order_relaxed);
    const char* in = c.callback.load(std::memory_order_relaxed);
    core_->logger->warn(
        "watchdog: loop {} has been busy for {} ms in {}: a handler is blocking its loop", i,
        (now - started) / 1'000'000, in != nullptr ? in : "actnet itself");
  }
}

}  // namespace actnet::detail
