#include "actnet/engine.hpp"

#include <fcntl.h>

#include <future>
#include <thread>

#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"
#include "engine_core.hpp"
#include "event_loop.hpp"
#include "loop_message.hpp"
#include "supervisor.hpp"

namespace actnet {
namespace detail {

EngineCore::EngineCore(EventHandler& h, ResolvedOptions o, std::shared_ptr<spdlog::logger> l)
    : handler(h), options(std::move(o)), logger(std::move(l)) {
  for (std::size_t i = 0; i < options.loops; ++i)
    counters.push_back(std::make_unique<LoopCounters>());
}

bool EngineCore::request_stop(std::chrono::milliseconds deadline) {
  if (stopped.load(std::memory_order_acquire)) return false;
  if (stop_requested.exchange(true, std::memory_order_acq_rel)) return false;
  (void)supervisor_inbox.push([deadline](Supervisor& s) { s.stop(deadline); });
  return true;
}

void EngineCore::loop_finished(std::size_t index) {
  (void)supervisor_inbox.push([index](Supervisor& s) { s.loop_finished(index); });
}

WorkerPool& EngineCore::workers() {
  std::call_once(workers_started, [this] {
    workers_pool = std::make_unique<WorkerPool>(WorkerPoolOptions{.threads = options.worker_threads,
                                                                  .capacity = options.worker_queue,
                                                                  .name = "actnet-worker",
                                                                  .logger = logger});
  });
  return *workers_pool;
}

void EngineCore::release_workers() {
  // call_once pairs with a concurrent first use: after it, workers_pool is settled.
  std::call_once(workers_started, [] {});
  if (workers_pool) workers_pool->release();
}

// An engine being served on a thread of its own (start()).
struct Runner {
  std::shared_ptr<EngineCore> core;
  std::thread thread;
  std::promise<io::Status> boot;
  std::promise<io::Status> done;
  std::shared_future<io::Status> outcome = done.get_future().share();
};

namespace {

Result<std::shared_ptr<EngineCore>> make_core(EventHandler& handler, const Options& options) {
  auto resolved = validate(options);
  if (!resolved) return resolved.error();
  std::shared_ptr<spdlog::logger> logger = options.logger;
  if (!logger) {
    try {
      logger = options.log_path.empty() && options.log_level == spdlog::level::info
                   ? log::default_logger()
                   : log::make_logger({.level = options.log_level, .path = options.log_path});
    } catch (const std::system_error& e) {
      return Error{e.code(), e.what()};
    }
  }
  return std::make_shared<EngineCore>(handler, std::move(*resolved), std::move(logger));
}

}  // namespace
}  // namespace detail

// ---- Engine ------------------------------------------------------------------------------

std::size_t Engine::count_connections() const {
  if (!core_) return 0;
  std::int64_t total = 0;
  for (const auto& c : core_->counters)
    total += c->connections.load(std::memory_order_relaxed);
  return total > 0 ? static_cast<std::size_t>(total) : 0;
}

Result<io::UniqueFd> Engine::dup() const {
  if (!core_ || core_->stop_requested.load()) {
    return Error{make_error_code(Errc::shutting_down), "dup: the engine is stopping"};
  }
  std::lock_guard lock(core_->listeners_mutex);
  if (core_->listener_fds.size() != 1) {
    return Error{make_error_code(Errc::unsupported),
                 "dup: the engine has " + std::to_string(core_->listener_fds.size()) +
                     " listeners; dup needs exactly one"};
  }
  const int copy = ::fcntl(core_->listener_fds.front(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return Error{std::error_code(errno, std::system_category()), "dup of the listener failed"};
  return io::UniqueFd(copy);
}

std::vector<io::SocketAddress> Engine::listen_addresses() const {
  if (!core_) return {};
  std::lock_guard lock(core_->listeners_mutex);
  return core_->bound;
}

std::error_code Engine::stop(std::chrono::milliseconds deadline) const {
  if (!core_) return Errc::shutting_down;
  return core_->request_stop(deadline) ? std::error_code{} : make_error_code(Errc::shutting_down);
}

std::error_code Engine::stop() const {
  if (!core_) return Errc::shutting_down;
  return stop(core_->options.stop_timeout);
}

bool Engine::stopped() const {
  return !core_ || core_->stopped.load(std::memory_order_acquire);
}

EngineStats Engine::stats() const {
  EngineStats s;
  if (!core_) return s;
  s.accepted = core_->accepted.load(std::memory_order_relaxed);
  s.shed_on_fd_exhaustion = core_->shed.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < core_->counters.size(); ++i) {
    const detail::LoopCounters& c = *core_->counters[i];
    LoopStats l;
    l.loop = i;
    l.connections = c.connections.load(std::memory_order_relaxed);
    l.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
    l.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
    l.messages_handled = c.messages.load(std::memory_order_relaxed);
    l.longest_turn = std::chrono::nanoseconds(c.longest_turn_ns.load(std::memory_order_relaxed));
    l.watchdog_hits = c.watchdog_hits.load(std::memory_order_relaxed);
    l.buffer_bytes = c.buffer_bytes.load(std::memory_order_relaxed);
    l.datagrams_truncated = c.datagrams_truncated.load(std::memory_order_relaxed);
    l.wakeups = c.actor_wakeups.load(std::memory_order_relaxed);
    if (i < core_->inboxes.size()) {
      l.mailbox_depth = core_->inboxes[i]->mailbox.size_approx();
      l.wakeups += core_->inboxes[i]->mailbox.wakeups();
    }
    l.actors = c.actors.load(std::memory_order_relaxed);
    l.actor_restarts = c.actor_restarts.load(std::memory_order_relaxed);
    l.actor_messages = c.actor_messages.load(std::memory_order_relaxed);
    l.actor_mailbox_depth = c.actor_mailbox_depth.load(std::memory_order_relaxed);
    l.turns = c.turns.load(std::memory_order_relaxed);
    l.deadline_entries = c.deadline_entries.load(std::memory_order_relaxed);
    l.timers = c.timers.load(std::memory_order_relaxed);
    l.poller_waits = c.poller_waits.load(std::memory_order_relaxed);
    l.interest_changes = c.interest_changes.load(std::memory_order_relaxed);
    l.empty_reads = c.empty_reads.load(std::memory_order_relaxed);
    s.loops.push_back(l);
  }
  return s;
}

std::size_t Engine::loops() const {
  return core_ ? core_->counters.size() : 0;
}

LoopHandle Engine::loop_handle(std::size_t index) const {
  if (!core_ || index >= core_->inboxes.size()) return {};
  return LoopHandle(core_->inboxes[index]);
}

TimerHandle Engine::schedule(std::chrono::steady_clock::duration delay,
                             UniqueFunction<void()> fn) const {
  if (!core_ || core_->inboxes.empty()) return {};
  const std::size_t n = core_->inboxes.size();
  return loop_handle(core_->next_timer_loop.fetch_add(1, std::memory_order_relaxed) % n)
      .schedule(delay, std::move(fn));
}

TimerHandle Engine::every(std::chrono::steady_clock::duration period,
                          UniqueFunction<void()> fn) const {
  if (!core_ || core_->inboxes.empty()) return {};
  const std::size_t n = core_->inboxes.size();
  return loop_handle(core_->next_timer_loop.fetch_add(1, std::memory_order_relaxed) % n)
      .every(period, std::move(fn));
}

void Engine::place_actor(std::size_t loop, UniqueFunction<void(ActorHost&)> place) const {
  auto fail = [](Errc code, const std::string& what) {
    throw std::system_error(make_error_code(code), what);
  };
  if (!core_ || core_->inboxes.empty())
    fail(Errc::shutting_down, "spawn: the engine is not running");
  const std::size_t n = core_->inboxes.size();
  if (loop != kAnyLoop && loop >= n) {
    fail(Errc::invalid_argument,
         "spawn_on: loop " + std::to_string(loop) + " of " + std::to_string(n));
  }
  detail::EventLoop* here = detail::EventLoop::current();
  if (here != nullptr) {
    const bool ours = &here->core() == core_.get();
    if (ours && (loop == kAnyLoop || loop == here->index())) {
      place(here->actors());  // on the caller's own loop: no message, no wait
      return;
    }
    fail(Errc::invalid_argument,
         "spawn from an event loop may only place the actor on that loop: waiting for "
         "another loop would block this one");
  }
  if (loop == kAnyLoop) loop = core_->next_actor_loop.fetch_add(1, std::memory_order_relaxed) % n;

  // Off every loop: the loop places it while we wait. A loop that stops before running the
  // task destroys it unrun, which breaks the promise: that is how we learn it stopped.
  std::promise<void> placed;
  std::future<void> done = placed.get_future();
  detail::LoopMessage message(
      detail::TaskMsg{[&place, placed = std::move(placed)](detail::EventLoop& l) mutable {
        try {
          place(l.actors());
          placed.set_value();
        } catch (...) {
          placed.set_exception(std::current_exception());
        }
      }});
  if (core_->inboxes[loop]->mailbox.push(std::move(message)) != PushResult::ok) {
    fail(Errc::shutting_down, "spawn: the engine has stopped");
  }
  try {
    done.get();
  } catch (const std::future_error&) {
    fail(Errc::shutting_down, "spawn: the engine stopped before the actor was placed");
  }
}

// ---- run / rotate / start ----------------------------------------------------------------

io::Status rotate(EventHandler& handler, std::vector<std::string> addresses,
                  const Options& options) {
  auto core = detail::make_core(handler, options);
  if (!core) return core.error();
  io::Status outcome = io::ok_status();
  {
    detail::Supervisor supervisor(*core, std::move(addresses));
    outcome = supervisor.boot();  // on failure nothing runs: no loop started, no on_boot
    if (outcome) supervisor.serve();
  }
  (*core)->stopped.store(true, std::memory_order_release);
  return outcome;
}

io::Status run(EventHandler& handler, std::string_view address, const Options& options) {
  return rotate(handler, {std::string(address)}, options);
}

Result<RunningEngine> start(EventHandler& handler, std::vector<std::string> addresses,
                            const Options& options) {
  auto core = detail::make_core(handler, options);
  if (!core) return core.error();
  auto runner = std::make_unique<detail::Runner>();
  runner->core = *core;
  auto booted = runner->boot.get_future();
  runner->thread = std::thread([r = runner.get(), addresses = std::move(addresses)]() mutable {
    io::Status outcome = io::ok_status();
    {
      detail::Supervisor supervisor(r->core, std::move(addresses));
      outcome = supervisor.boot();
      r->boot.set_value(outcome);
      if (outcome) supervisor.serve();
    }
    r->core->stopped.store(true, std::memory_order_release);
    r->done.set_value(outcome);
  });
  io::Status boot = booted.get();
  if (!boot) {
    runner->thread.join();
    return boot.error();
  }
  return RunningEngine(std::move(runner));
}

RunningEngine::RunningEngine(std::unique_ptr<detail::Runner> runner) : runner_(std::move(runner)) {}
RunningEngine::RunningEngine(RunningEngine&&) noexcept = default;
RunningEngine& RunningEngine::operator=(RunningEngine&&) noexcept = default;

RunningEngine::~RunningEngine() {
  if (!runner_) return;
  (void)engine().stop();
  (void)wait();
}

Engine RunningEngine::engine() const {
  return runner_ ? Engine(runner_->core) : Engine();
}

io::Status RunningEngine::wait() {
  if (!runner_)
    return Error{make_error_code(Errc::invalid_argument), "wait on an empty RunningEngine"};
  io::Status outcome = runner_->outcome.get();
  if (runner_->thread.joinable()) runner_->thread.join();
  return outcome;
}

}  // namespace actnet
