#pragma once
// Engine is the handle to a running server: what on_boot and on_shutdown receive and what
// start() returns. It is a small copyable value, safe from any thread, and stays safe after
// the engine has stopped (its calls then report that).
//
// run() and rotate() serve on the calling thread (it becomes the supervisor) until the
// engine stops; start() serves on a new thread and returns once the listeners are bound.

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <vector>

#include "actnet/engine_stats.hpp"
#include "actnet/event_handler.hpp"
#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/loop_handle.hpp"
#include "actnet/options.hpp"
#include "actnet/runtime/actor_host.hpp"
#include "actnet/runtime/actor_ref.hpp"
#include "actnet/runtime/supervision.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

namespace detail {
struct EngineCore;
class Supervisor;
struct Runner;
}  // namespace detail

/// The handle to a running server, given to on_boot and on_shutdown and by start(): a small
/// copyable value, safe from any thread, and still safe after the engine stopped (its calls
/// then report that).
class ACTNET_API Engine {
 public:
  Engine() = default;

  /// Any thread: open connections across all loops.
  std::size_t count_connections() const;
  /// Any thread: a close-on-exec duplicate of the listener; Errc::unsupported with more than
  /// one listener (or one per loop, with reuse_port), Errc::shutting_down once stopping.
  Result<io::UniqueFd> dup() const;
  /// Any thread: the addresses the listeners are bound to (useful with port 0).
  std::vector<io::SocketAddress> listen_addresses() const;
  /// Any thread, never blocks: a graceful stop. Listeners close, loops flush what was
  /// already accepted for writing until `deadline`, every connection closes (on_close runs),
  /// then on_shutdown. The deadline holds however long a loop's mailbox backlog is: what is
  /// still queued then fails with shutting_down. Errc::shutting_down if a stop was already
  /// asked for.
  std::error_code stop(std::chrono::milliseconds deadline) const;
  std::error_code stop() const;  ///< with Options::stop_timeout
  /// Any thread: true once run() has returned.
  bool stopped() const;
  /// Any thread: a snapshot of what each loop has done (EngineStats).
  EngineStats stats() const;

  /// The `loop` argument of spawn_supervised_on() that means "any loop" (round robin).
  static constexpr std::size_t kAnyLoop = std::numeric_limits<std::size_t>::max();

  /// Hosting user actors on the loops (DESIGN "What the user writes"): constructs an A from
  /// `args` (copied: a restart builds a fresh A from them) on a loop, starts it (on_start)
  /// and returns its ref; `ref.send(msg)` from any thread then runs A::receive(msg) on that
  /// loop, so the actor's state needs no lock. An exception escaping receive() is handled
  /// by `supervision` (default: restart, at most 5 times in 10 s, then stop; escalate stops
  /// the engine gracefully). Actors stop (on_stop) when their loop finishes.
  ///
  /// Which thread: off every loop (on_boot on the supervisor, main, a worker), it waits
  /// until the loop has placed the actor — round robin, or `loop`. On one of this engine's
  /// loops it never waits: spawn places the actor on the caller's own loop, and spawn_on
  /// accepts only that loop (another would mean blocking this one: std::system_error
  /// invalid_argument). Throws std::system_error(shutting_down) once the loops have stopped,
  /// and whatever A's constructor throws.
  template <class A, class... Args>
  ActorRef<typename A::message_type> spawn(Args&&... args) const {
    return spawn_supervised_on<A>(kAnyLoop, Supervision{}, std::forward<Args>(args)...);
  }
  /// spawn() on loop `loop` (called on a loop: only that loop itself).
  template <class A, class... Args>
  ActorRef<typename A::message_type> spawn_on(std::size_t loop, Args&&... args) const {
    return spawn_supervised_on<A>(loop, Supervision{}, std::forward<Args>(args)...);
  }
  /// spawn() on `loop` (kAnyLoop: round robin) under `supervision` instead of the default.
  template <class A, class... Args>
  ActorRef<typename A::message_type> spawn_supervised_on(std::size_t loop, Supervision supervision,
                                                         Args&&... args) const {
    static_assert(std::is_base_of_v<Actor<typename A::message_type>, A>,
                  "spawn<A>: A must derive from actnet::Actor<Msg>");
    ActorRef<typename A::message_type> ref;
    // Runs on the chosen loop while this thread waits (or at once on the caller's loop), so
    // `ref` is safely written there and read here after place_actor returns.
    place_actor(loop, [&ref, supervision,
                       stored = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)](
                          ActorHost& host) mutable {
      ref = std::apply(
          [&](auto&... a) { return host.spawn_supervised<A>(supervision, std::move(a)...); },
          stored);
    });
    return ref;
  }

  /// Any thread: the number of loops (valid arguments to spawn_on are 0 .. loops() - 1).
  std::size_t loops() const;

  /// Any thread: loop `index` (0 .. loops() - 1), to post work or arm timers there; an
  /// empty handle when the index is out of range or the engine never booted.
  LoopHandle loop_handle(std::size_t index) const;
  /// Any thread: LoopHandle::schedule / every on the engine's loops in round robin; `fn`
  /// runs on that loop's thread. To keep a timer next to a connection's state, use
  /// conn.loop_handle().schedule(...) instead. Timers end when the stop reaches their loop
  /// (see LoopHandle); an engine that has stopped returns an empty TimerHandle.
  TimerHandle schedule(std::chrono::steady_clock::duration delay, UniqueFunction<void()> fn) const;
  /// Any thread: LoopHandle::every on the engine's loops in round robin (see schedule()).
  TimerHandle every(std::chrono::steady_clock::duration period, UniqueFunction<void()> fn) const;

  /// False for a default-constructed Engine, which names no engine.
  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  void place_actor(std::size_t loop, UniqueFunction<void(ActorHost&)> place) const;

  friend class detail::Supervisor;
  friend class RunningEngine;
  friend class Client;
  explicit Engine(std::shared_ptr<detail::EngineCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::EngineCore> core_;
};

/// Serves `address` ("tcp://:9000", "tcp6://[::1]:9000", "udp4://127.0.0.1:9001",
/// "unix:///run/app.sock"; no scheme means tcp) on the calling thread until the engine stops.
/// A udp address gets one SO_REUSEPORT socket per loop. The error names what failed.
ACTNET_API io::Status run(EventHandler& handler, std::string_view address,
                          const Options& options = {});
/// The same with several listeners feeding one engine.
ACTNET_API io::Status rotate(EventHandler& handler, std::vector<std::string> addresses,
                             const Options& options = {});

/// An engine serving on its own supervisor thread. Destroying it stops the engine and waits.
class ACTNET_API RunningEngine {
 public:
  /// Movable: the moved-from RunningEngine owns nothing.
  RunningEngine(RunningEngine&&) noexcept;
  /// Moves; the engine assigned over is stopped and waited for first.
  RunningEngine& operator=(RunningEngine&&) noexcept;
  ~RunningEngine();

  /// Any thread: the engine's handle.
  Engine engine() const;
  /// Any thread but the engine's: waits until the engine has stopped; its outcome.
  io::Status wait();

 private:
  friend Result<RunningEngine> start(EventHandler&, std::vector<std::string>, const Options&);
  explicit RunningEngine(std::unique_ptr<detail::Runner> runner);
  std::unique_ptr<detail::Runner> runner_;
};

/// Boots an engine on a new thread; returns once its listeners are bound and on_boot ran.
ACTNET_API Result<RunningEngine> start(EventHandler& handler, std::vector<std::string> addresses,
                                       const Options& options = {});

}  // namespace actnet
