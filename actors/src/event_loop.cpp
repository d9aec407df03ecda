#include "event_loop.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <span>
#include <system_error>

#include "actnet/io/socket.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/io/tcp_options.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"

namespace actnet::detail {
namespace {

// Tokens in the poller: a connection is slot | generation << 32 (generation < 2^31); the
// high bit marks the loop's own descriptors.
constexpr std::uint64_t kOwnBit = std::uint64_t{1} << 63;
constexpr std::uint64_t kMailboxToken = kOwnBit | 0xFFFF'FFFF;
constexpr std::uint64_t kActorsToken = kOwnBit | 0xFFFF'FFFE;
constexpr std::uint64_t kUdpBit = std::uint64_t{1} << 61;  // with kOwnBit: udp_[low 32 bits]

thread_local EventLoop* t_current = nullptr;

// Steady-clock nanoseconds, the unit the supervisor's watchdog reads turn_started_ns in.
std::int64_t ns_since_epoch(DeadlineHeap::Clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::int64_t now_ns() noexcept {
  return ns_since_epoch(DeadlineHeap::Clock::now());
}

}  // namespace

EventLoop::EventLoop(EngineCore& core, std::size_t index)
    : core_(core),
      index_(index),
      inbox_(std::make_shared<LoopInbox>()),
      actors_(core.logger),
      counters_(*core.counters.at(index)) {
  auto poller = io::make_default_poller();
  if (!poller) throw std::system_error(poller.error().code, poller.error().message);
  poller_ = std::move(*poller);
  auto added = poller_->add(inbox_->mailbox.wakeup_fd(), io::Interest::readable, kMailboxToken);
  if (!added) throw std::system_error(added.error().code, added.error().message);
  added = poller_->add(actors_.inbox().wakeup_fd(), io::Interest::readable, kActorsToken);
  if (!added) throw std::system_error(added.error().code, added.error().message);
  actors_.set_name("loop " + std::to_string(index_));
  // An actor whose supervision says escalate stops the whole engine, gracefully.
  actors_.on_escalate(
      [this](ActorId, const std::string&) { core_.request_stop(core_.options.stop_timeout); });
}

EventLoop::~EventLoop() {
  join();
  // The loop thread has ended (or never started): the host's last owner is this thread.
  actors_.owner().bind_to_current_thread();
}

EventLoop* EventLoop::current() noexcept {
  return t_current;
}

void EventLoop::adopt_listener(io::UniqueFd listener) {
  const std::uint64_t token = kOwnBit | listeners_.size();
  auto added = poller_->add(listener.get(), io::Interest::readable, token);
  if (!added) throw std::system_error(added.error().code, added.error().message);
  listeners_.push_back(std::move(listener));
  if (!acceptor_)
    acceptor_ = std::make_unique<Acceptor>(core_, "loop " + std::to_string(index_) + ": ");
}

void EventLoop::adopt_udp(io::UniqueFd socket) {
  const std::uint64_t token = kOwnBit | kUdpBit | udp_.size();
  auto listener = std::make_unique<UdpListener>(*this, pool_, std::move(socket),
                                                static_cast<std::uint32_t>(udp_.size()));
  // Always level-triggered (gnet forces edge-triggered off for UDP): a batch-limited read
  // leaves the rest for the next turn.
  auto added = poller_->add(listener->fd(), io::Interest::readable, token);
  if (!added) throw std::system_error(added.error().code, added.error().message);
  udp_.push_back(std::move(listener));
}

void EventLoop::close_udp() {
  for (auto& listener : udp_)
    (void)poller_->remove(listener->fd());
  udp_.clear();
}

void EventLoop::start() {
  thread_ = std::thread([this] { run(); });
  const std::string name = "actnet-loop-" + std::to_string(index_);
  pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
}

void EventLoop::join() {
  if (thread_.joinable()) thread_.join();
}

void EventLoop::run() {
  owner_.bind_to_current_thread();
  actors_.owner().bind_to_current_thread();
  t_current = this;
  if (core_.options.lock_os_thread) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(index_ % std::max(1u, std::thread::hardware_concurrency())), &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
      core_.logger->warn("loop {}: could not pin to a CPU", index_);
    }
  }
  while (!finished_)
    turn();
  t_current = nullptr;
  core_.loop_finished(index_);
}

// One turn, in this order (DESIGN "The loop's turn"):
//  1. wait for I/O: not at all when work is known to be waiting, else until woken;
//  2. dispatch I/O events (read → on_traffic, flush writes), then edge-triggered leftovers;
//  3. drain the mailbox, then the hosted actors' mailbox, up to kMailboxBudget messages each;
//  4. expire local deadlines (dials past their timeout, connection deadlines, user timers);
//  5. release the connections closed during the turn, so nothing dangles mid-turn.
void EventLoop::turn() {
  int timeout = -1;
  if (mailbox_more_ || !read_again_.empty())
    timeout = 0;
  else if (draining_)
    timeout = 10;  // look again whether everything has drained
  timeout = dialer_.timeout_ms(timeout);
  if (!deadlines_.empty()) timeout = deadlines_.timeout_ms(timeout, DeadlineHeap::Clock::now());
  const bool sleeping = timeout != 0 && prepare_to_sleep();
  if (!sleeping) timeout = 0;
  counters_.turn_started_ns.store(0, std::memory_order_relaxed);
  auto events = poller_->wait(timeout);
  add_own(counters_.turns, 1);
  if (sleeping) awake();
  // One clock read serves the turn: the idle deadlines and the watchdog's start mark.
  now_ = DeadlineHeap::Clock::now();
  const std::int64_t start = ns_since_epoch(now_);
  counters_.turn_started_ns.store(start, std::memory_order_relaxed);

  if (events) {
    for (const io::PollEvent& ev : *events)
      dispatch_io(ev.token, ev.ready);
  } else {
    core_.logger->error("loop {}: poller wait failed: {}", index_, events.error().message);
  }
  serve_read_again();

  corked_ = true;
  const std::size_t handled =
      inbox_->mailbox.drain(kMailboxBudget, [this](LoopMessage& m) noexcept { handle_queued(m); });
  add_own(counters_.messages, handled);
  const std::size_t received = actors_.run_once(kMailboxBudget);
  uncork();
  mailbox_more_ = handled == kMailboxBudget || received == kMailboxBudget;

  dialer_.expire();
  expire_deadlines();
  release_closed();
  if (draining_ && !finished_ && drained()) finish();

  publish_counters();
  const std::int64_t took = now_ns() - start;
  if (took > counters_.longest_turn_ns.load(std::memory_order_relaxed)) {
    counters_.longest_turn_ns.store(took, std::memory_order_relaxed);
  }
}

// Both mailboxes announce the sleep, or neither does: a message in either must wake us.
bool EventLoop::prepare_to_sleep() noexcept {
  if (!inbox_->mailbox.prepare_to_sleep()) return false;
  if (actors_.inbox().prepare_to_sleep()) return true;
  inbox_->mailbox.awake();
  return false;
}

void EventLoop::awake() noexcept {
  inbox_->mailbox.awake();
  actors_.inbox().awake();
}

void EventLoop::publish_counters() noexcept {
  counters_.buffer_bytes.store(pool_.stats().outstanding_bytes, std::memory_order_relaxed);
  counters_.actors.store(actors_.actor_count(), std::memory_order_relaxed);
  counters_.actor_restarts.store(actors_.restarts(), std::memory_order_relaxed);
  counters_.actor_messages.store(actors_.messages_handled(), std::memory_order_relaxed);
  counters_.actor_mailbox_depth.store(actors_.inbox().size_approx(), std::memory_order_relaxed);
  counters_.deadline_entries.store(deadlines_.size(), std::memory_order_relaxed);
  counters_.timers.store(timers_.armed(), std::memory_order_relaxed);
  counters_.actor_wakeups.store(actors_.inbox().wakeups(), std::memory_order_relaxed);
  const io::PollerCounts& calls = poller_->counts();
  counters_.poller_waits.store(calls.waits, std::memory_order_relaxed);
  counters_.interest_changes.store(calls.modifies, std::memory_order_relaxed);
}

void EventLoop::dispatch_io(std::uint64_t token, io::Ready ready) {
  if (token == kMailboxToken) {
    inbox_->mailbox.acknowledge_wakeup();
    return;
  }
  if (token == kActorsToken) {
    actors_.inbox().acknowledge_wakeup();
    return;
  }
  if (token & kOwnBit) {
    if ((token & kUdpBit) && !(token & Dialer::kTokenBit) && token != kMailboxToken) {
      const std::size_t index = static_cast<std::size_t>(token & 0xFFFF'FFFF);
      if (index < udp_.size()) udp_[index]->read_ready();
      return;
    }
    if (token & Dialer::kTokenBit) {
      dialer_.ready(token);
      return;
    }
    accept_from(static_cast<std::size_t>(token & 0xFFFF'FFFF));
    return;
  }
  Conn* conn = find({static_cast<std::uint32_t>(token), static_cast<std::uint32_t>(token >> 32)});
  if (conn == nullptr) return;  // closed earlier in this turn
  if (io::has(ready, io::Ready::writable)) conn->write_ready();
  if (!conn->is_open()) return;
  if (io::has(ready, io::Ready::readable | io::Ready::hang_up | io::Ready::error)) {
    if (conn->eof_seen_) {
      conn->failed_after_eof();
      return;
    }
    bool more = false;
    const bool edge = core_.options.edge_triggered;
    const std::size_t budget = edge ? core_.options.edge_triggered_chunk : Conn::kAll;
    const bool short_read_drains = edge && !io::has(ready, io::Ready::hang_up | io::Ready::error);
    if (conn->read_ready(budget, more, short_read_drains) && more) read_again(*conn);
  }
}

void EventLoop::read_again(Conn& conn) {
  if (conn.read_ready_) return;
  conn.read_ready_ = true;
  read_again_.push_back(conn.slot_);
}

void EventLoop::serve_read_again() {
  if (read_again_.empty()) return;
  read_again_next_.swap(read_again_);
  for (std::uint32_t slot : read_again_next_) {
    Conn& conn = *conns_[slot];
    conn.read_ready_ = false;
    if (!conn.is_open() || !conn.wants_read()) continue;
    bool more = false;
    if (conn.read_ready(core_.options.edge_triggered_chunk, more) && more) read_again(conn);
  }
  read_again_next_.clear();
}

Conn* EventLoop::find(ConnId id) noexcept {
  if (id.slot >= conns_.size()) return nullptr;
  Conn* conn = conns_[id.slot].get();
  return conn->generation_ == id.generation && conn->is_open() ? conn : nullptr;
}

void EventLoop::accept_from(std::size_t listener) {
  acceptor_->drain(listeners_[listener].get(), [this](io::Accepted&& a) {
    if (draining_) return;  // a.fd closes: the engine is stopping
    counters_.connections.fetch_add(1, std::memory_order_relaxed);
    open_conn(std::move(a.fd), a.peer);
  });
}

Conn* EventLoop::open_outbound(io::UniqueFd fd, const io::SocketAddress& peer,
                               EventHandler* handler, std::any context, bool datagram) {
  ACTNET_ASSERT_OWNER(owner_);
  if (draining_) return nullptr;  // fd closes: the loop is stopping
  counters_.connections.fetch_add(1, std::memory_order_relaxed);
  return open_conn(std::move(fd), peer, handler, std::move(context), datagram);
}

void EventLoop::close_handler(EventHandler* handler) {
  ACTNET_ASSERT_OWNER(owner_);
  dialer_.cancel_all(make_error_code(Errc::shutting_down), handler);
  for (auto& conn : conns_) {
    if (conn->is_open() && conn->handler_ == handler) conn->close_with(Errc::shutting_down);
  }
}

Conn* EventLoop::open_conn(io::UniqueFd fd, const io::SocketAddress& peer, EventHandler* handler,
                           std::any context, bool datagram) {
  const ResolvedOptions& o = core_.options;
  io::TcpOptions tcp{.no_delay = o.tcp_nodelay,
                     .keep_alive = o.tcp_keepalive,
                     .recv_buffer = o.socket_recv_buffer,
                     .send_buffer = o.socket_send_buffer};
  if (datagram) {
    // No TCP options on UDP (TCP_NODELAY would fail); the buffer sizes still apply.
    io::Status sized = io::ok_status();
    if (o.socket_recv_buffer > 0) sized = io::set_recv_buffer(fd.get(), o.socket_recv_buffer);
    if (sized && o.socket_send_buffer > 0)
      sized = io::set_send_buffer(fd.get(), o.socket_send_buffer);
    if (!sized) core_.logger->warn("loop {}: {}", index_, sized.error().message);
  } else if (peer.family() != AF_UNIX) {
    if (auto applied = io::apply_tcp_options(fd.get(), tcp); !applied) {
      core_.logger->warn("loop {}: {}", index_, applied.error().message);
    }
  }
  auto local = io::local_address(fd.get());

  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(conns_.size());
    conns_.push_back(
        std::unique_ptr<Conn>(new Conn(*this, pool_, o.read_buffer_cap, o.write_buffer_cap)));
  }
  Conn& conn = *conns_[slot];
  conn.open(std::move(fd), local ? *local : io::SocketAddress{}, peer, slot, conn.generation_,
            datagram);
  if (auto added = poller_->add(conn.fd(), conn.interest_, conn.token()); !added) {
    core_.logger->error("loop {}: cannot watch a new connection: {}", index_,
                        added.error().message);
    conn.state_ = Conn::State::closed;
    counters_.connections.fetch_sub(1, std::memory_order_relaxed);
    release_later(conn);
    return nullptr;
  }
  conn.handler_ = handler != nullptr ? handler : &core_.handler;
  if (context.has_value()) conn.context_ = std::move(context);
  const Action action = call("on_open", &conn, [&] { return conn.handler_->on_open(conn); });
  apply(conn, action);
  return &conn;
}

void EventLoop::apply(Conn& conn, Action action) {
  switch (action) {
    case Action::none:
      break;
    case Action::close:
      conn.close();
      break;
    case Action::shutdown:
      core_.request_stop(core_.options.stop_timeout);
      break;
  }
}

void EventLoop::callback_failed(const char* name, Conn* conn, const char* what) noexcept {
  try {
    if (conn != nullptr) {
      core_.logger->error("loop {}: {} threw for peer {}: {}", index_, name,
                          conn->remote_address().to_string(), what);
    } else {
      core_.logger->error("loop {}: {} threw: {}", index_, name, what);
    }
  } catch (...) {
    // Logging failed (no memory): the connection still closes below.
  }
  if (conn != nullptr && conn->is_open()) conn->close_with(Errc::handler_failed);
}

void EventLoop::flush_after_drain(Conn& conn) {
  ACTNET_ASSERT_OWNER(owner_);
  if (conn.flush_listed_) return;
  conn.flush_listed_ = true;
  to_flush_.push_back(conn.slot_);
}

void EventLoop::uncork() {
  corked_ = false;
  for (std::size_t i = 0; i < to_flush_.size(); ++i) {  // a flush may close and list no more
    Conn& conn = *conns_[to_flush_[i]];
    conn.flush_listed_ = false;
    if (!conn.is_open() || conn.outbound_buffered() == 0) continue;
    conn.write_ready();
    if (conn.is_open()) conn.update_interest();
  }
  to_flush_.clear();
}

void EventLoop::arm_deadline(Conn& conn) {
  ACTNET_ASSERT_OWNER(owner_);
  const auto due = conn.next_deadline();
  if (due >= conn.deadline_armed_) return;  // an entry at or before it is already there
  conn.deadline_armed_ = due;
  deadlines_.push(due, conn.token());
}

// A connection's entry that comes due while its deadlines moved later re-arms at the new
// time; one for a closed or reused slot (its generation changed), or that an earlier entry
// replaced, is dropped. User timers' entries go to LoopTimers.
void EventLoop::expire_deadlines() {
  if (deadlines_.empty()) return;
  deadlines_.expire(now_, [this](std::uint64_t key, DeadlineHeap::Clock::time_point when) {
    if (key & LoopTimers::kKeyBit) {
      timers_.expire(key);
      return;
    }
    Conn* conn = find({static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32)});
    if (conn == nullptr || when != conn->deadline_armed_) return;
    conn->deadline_armed_ = DeadlineHeap::Clock::time_point::max();
    if (conn->deadline_passed(now_)) {
      conn->close_with(Errc::timed_out);
    } else {
      arm_deadline(*conn);
    }
  });
}

void EventLoop::release_later(Conn& conn) {
  closed_.push_back(conn.slot_);
}

void EventLoop::release_closed() {
  for (std::uint32_t slot : closed_) {
    conns_[slot]->reset();
    free_slots_.push_back(slot);
  }
  closed_.clear();
}

void EventLoop::handle_queued(LoopMessage& message) noexcept {
  // A stop whose deadline passed ends the backlog here rather than after it. Only here, between
  // mailbox messages: handle_now() runs inside a user callback, whose Conn must stay intact.
  if (!finished_ && finish_requested_.load(std::memory_order_relaxed)) finish();
  handle(message);
}

void EventLoop::handle(LoopMessage& message) noexcept {
  if (finished_) {  // the rest of a batch that was taken before a stop finished the loop
    reject(message);
    return;
  }
  std::visit(
      [this](auto& m) noexcept {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, AcceptMsg>) {
          if (draining_) {
            counters_.connections.fetch_sub(1, std::memory_order_relaxed);
            return;  // m.fd closes: the engine is stopping
          }
          open_conn(std::move(m.fd), m.peer);
        } else if constexpr (std::is_same_v<M, TaskMsg>) {
          m.run(*this);
        } else if constexpr (std::is_same_v<M, DatagramMsg>) {
          if (m.socket >= udp_.size()) {  // closed by a stop
            complete(m.done, Errc::shutting_down);
            return;
          }
          const std::string_view part = m.bytes;
          (void)udp_[m.socket]->send(m.peer, {&part, 1}, std::move(m.done));
          udp_[m.socket]->flush();
        } else {
          Conn* conn = find(m.to);
          if (conn == nullptr) {
            complete(m.done, Errc::connection_closed);
            return;
          }
          if constexpr (std::is_same_v<M, WriteMsg>) {
            const std::string_view part = m.bytes;
            (void)conn->queue({&part, 1}, std::move(m.done));
          } else if constexpr (std::is_same_v<M, WritevMsg>) {
            // Views of the parts: on the stack for the usual few, so no allocation here.
            constexpr std::size_t kInline = 16;
            std::array<std::string_view, kInline> inline_parts;
            std::vector<std::string_view> many;
            std::span<const std::string_view> parts;
            if (m.parts.size() <= kInline) {
              std::copy(m.parts.begin(), m.parts.end(), inline_parts.begin());
              parts = {inline_parts.data(), m.parts.size()};
            } else {
              many.assign(m.parts.begin(), m.parts.end());
              parts = many;
            }
            (void)conn->queue(parts, std::move(m.done));
          } else if constexpr (std::is_same_v<M, WakeMsg>) {
            const Action action =
                call("on_traffic", conn, [&] { return conn->handler_->on_traffic(*conn); });
            complete(m.done, threw_ ? make_error_code(Errc::handler_failed) : std::error_code{});
            if (conn->is_open()) apply(*conn, action);
          } else if constexpr (std::is_same_v<M, CloseMsg>) {
            conn->close();
            complete(m.done, {});
          } else if constexpr (std::is_same_v<M, UserMsg>) {
            bool understood = true;
            const Action action = call(
                "on_message", conn, [&] { return m.deliver(*conn->handler_, *conn, understood); });
            complete(m.done, threw_        ? make_error_code(Errc::handler_failed)
                             : !understood ? make_error_code(Errc::unsupported)
                                           : std::error_code{});
            if (conn->is_open()) apply(*conn, action);
          } else if constexpr (std::is_same_v<M, ShutdownWriteMsg>) {
            (void)conn->shutdown_write(std::move(m.done));
          } else if constexpr (std::is_same_v<M, DeadlineMsg>) {
            if (m.which == DeadlineMsg::both) {
              conn->set_deadline(m.when);
            } else if (m.which == DeadlineMsg::read) {
              conn->set_read_deadline(m.when);
            } else {
              conn->set_write_deadline(m.when);
            }
            complete(m.done, {});
          }
        }
      },
      message);
}

void EventLoop::reject(LoopMessage& message) noexcept {
  std::visit(
      [this](auto& m) noexcept {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, AcceptMsg>) {
          counters_.connections.fetch_sub(1, std::memory_order_relaxed);
        } else if constexpr (!std::is_same_v<M, TaskMsg>) {
          complete(m.done, Errc::shutting_down);
        }
      },
      message);
}

void EventLoop::begin_drain() {
  ACTNET_ASSERT_OWNER(owner_);
  if (draining_) return;
  draining_ = true;
  timers_.stop();  // pending one-shots never run; `every` timers end
  dialer_.cancel_all(make_error_code(Errc::shutting_down));
  for (io::UniqueFd& listener : listeners_)
    (void)poller_->remove(listener.get());
  listeners_.clear();
  close_udp();  // a UDP listener has nothing to drain: its replies were sent each batch
  for (auto& conn : conns_) {
    if (!conn->is_open()) continue;
    conn->draining_ = true;
    conn->update_interest();
  }
}

bool EventLoop::drained() const noexcept {
  if (inbox_->mailbox.size_approx() != 0) return false;
  if (actors_.inbox().size_approx() != 0 || offloads_ != 0) return false;
  return std::none_of(conns_.begin(), conns_.end(),
                      [](const auto& c) { return c->is_open() && c->outbound_buffered() != 0; });
}

void EventLoop::request_finish() {
  finish_requested_.store(true, std::memory_order_relaxed);
  // Wakes the loop if it sleeps; on an empty mailbox this message is what finishes it.
  (void)post(TaskMsg{[](EventLoop& l) { l.finish(); }});
}

void EventLoop::finish() {
  ACTNET_ASSERT_OWNER(owner_);
  if (finished_) return;
  draining_ = true;
  timers_.stop();
  dialer_.cancel_all(make_error_code(Errc::shutting_down));
  // Actors go first: their on_stop may still write to connections, which close next.
  actors_.stop();
  publish_counters();
  for (auto& conn : conns_) {
    if (conn->is_open()) conn->close_with(Errc::shutting_down);
  }
  release_closed();
  deadlines_.clear();
  inbox_->mailbox.close([this](LoopMessage& m) noexcept { reject(m); });
  for (io::UniqueFd& listener : listeners_)
    (void)poller_->remove(listener.get());
  listeners_.clear();
  close_udp();
  finished_ = true;
}

}  // namespace actnet::detail
