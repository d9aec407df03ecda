#pragma once
// Engine is the handle to a running server: what on_boot and on_shutdown receive and what
// start() returns. It is a small copyable value, safe from any thread, and stays safe after
// the engine has stopped (its calls then report that).
//
// run() and rotate() serve on the calling thread (it becomes the supervisor) until the
// engine stops; start() serves on a new thread and returns once the listeners are bound.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "actnet/engine_stats.hpp"
#include "actnet/event_handler.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/options.hpp"

namespace actnet {

namespace detail {
struct EngineCore;
class Supervisor;
struct Runner;
}  // namespace detail

class Engine {
 public:
  Engine() = default;

  // Any thread: open connections across all loops.
  std::size_t count_connections() const;
  // Any thread: a close-on-exec duplicate of the listener; Errc::unsupported with more than
  // one listener (or one per loop, with reuse_port), Errc::shutting_down once stopping.
  Result<io::UniqueFd> dup() const;
  // Any thread: the addresses the listeners are bound to (useful with port 0).
  std::vector<io::SocketAddress> listen_addresses() const;
  // Any thread, never blocks: a graceful stop. Listeners close, loops flush what was
  // already accepted for writing until `deadline`, every connection closes (on_close runs),
  // then on_shutdown. Errc::shutting_down if a stop was already asked for.
  std::error_code stop(std::chrono::milliseconds deadline) const;
  std::error_code stop() const;  // with Options::stop_timeout
  // Any thread: true once run() has returned.
  bool stopped() const;
  EngineStats stats() const;

  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  friend class detail::Supervisor;
  friend class RunningEngine;
  friend class Client;
  explicit Engine(std::shared_ptr<detail::EngineCore> core) : core_(std::move(core)) {}
  std::shared_ptr<detail::EngineCore> core_;
};

// Serves `address` ("tcp://:9000", "tcp6://[::1]:9000", "udp4://127.0.0.1:9001",
// "unix:///run/app.sock"; no scheme means tcp) on the calling thread until the engine stops.
// A udp address gets one SO_REUSEPORT socket per loop. The error names what failed.
io::Status run(EventHandler& handler, std::string_view address, const Options& options = {});
// The same with several listeners feeding one engine.
io::Status rotate(EventHandler& handler, std::vector<std::string> addresses,
                  const Options& options = {});

// An engine serving on its own supervisor thread. Destroying it stops the engine and waits.
class RunningEngine {
 public:
  RunningEngine(RunningEngine&&) noexcept;
  RunningEngine& operator=(RunningEngine&&) noexcept;
  ~RunningEngine();

  Engine engine() const;
  // Any thread but the engine's: waits until the engine has stopped; its outcome.
  io::Status wait();

 private:
  friend Result<RunningEngine> start(EventHandler&, std::vector<std::string>, const Options&);
  explicit RunningEngine(std::unique_ptr<detail::Runner> runner);
  std::unique_ptr<detail::Runner> runner_;
};

// Boots an engine on a new thread; returns once its listeners are bound and on_boot ran.
Result<RunningEngine> start(EventHandler& handler, std::vector<std::string> addresses,
                            const Options& options = {});

}  // namespace actnet
