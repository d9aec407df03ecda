#pragma once
// EngineCore is what one engine's actors share: what is fixed at boot (options, handler,
// logger), the counters every loop publishes, and the supervisor's mailbox through which
// loops and Engine handles talk to it. Owned by a shared_ptr, so the Engine handles users
// copy stay valid after run() returned: their calls then fail cleanly.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <spdlog/logger.h>

#include "actnet/event_handler.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/options.hpp"
#include "actnet/runtime/mailbox.hpp"
#include "actnet/runtime/unique_function.hpp"
#include "actnet/runtime/worker_pool.hpp"

namespace actnet::detail {

class Supervisor;
class LoopInbox;

// Counters a loop publishes: written by the loop (connections also by the acceptor that
// assigns them, watchdog_hits by the supervisor), read by anyone. All relaxed: they are
// statistics, nothing synchronizes through them.
struct LoopCounters {
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::int64_t> longest_turn_ns{0};
  std::atomic<std::uint64_t> watchdog_hits{0};
  std::atomic<std::uint64_t> buffer_bytes{0};  // pooled buffer bytes held by connections
  std::atomic<std::uint64_t> datagrams_truncated{0};
  std::atomic<std::size_t> actors{0};  // user actors hosted now
  std::atomic<std::uint64_t> actor_restarts{0};
  std::atomic<std::uint64_t> actor_messages{0};
  std::atomic<std::size_t> actor_mailbox_depth{0};  // at the end of the last turn
  std::atomic<std::uint64_t> turns{0};
  std::atomic<std::size_t> deadline_entries{0};  // at the end of the last turn
  std::atomic<std::size_t> timers{0};            // at the end of the last turn
  std::atomic<std::uint64_t> actor_wakeups{0};   // at the end of the last turn
  // The loop's system calls that are not reads and writes (published each turn).
  std::atomic<std::uint64_t> poller_waits{0};
  std::atomic<std::uint64_t> interest_changes{0};
  std::atomic<std::uint64_t> empty_reads{0};  // stream reads that returned EAGAIN
  // For the watchdog: when the current turn started (0: waiting in epoll), and the user
  // callback it is in (nullptr: none).
  std::atomic<std::int64_t> turn_started_ns{0};
  std::atomic<const char*> callback{nullptr};
};

// Adds to a counter that only its loop writes (bytes_in, bytes_out, messages, truncated
// datagrams, empty reads). A load and a store rather than fetch_add: with one writer nothing is
// lost, and the loop pays no locked read-modify-write per read and per write. Returns the value
// before. Loop thread only.
inline std::uint64_t add_own(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
  const std::uint64_t before = counter.load(std::memory_order_relaxed);
  counter.store(before + n, std::memory_order_relaxed);
  return before;
}

using SupervisorTask = UniqueFunction<void(Supervisor&)>;

struct EngineCore {
  EngineCore(EventHandler& h, ResolvedOptions o, std::shared_ptr<spdlog::logger> l);

  EventHandler& handler;
  const ResolvedOptions options;
  const std::shared_ptr<spdlog::logger> logger;
  std::vector<std::unique_ptr<LoopCounters>> counters;  // one per loop, fixed at construction
  std::vector<std::shared_ptr<LoopInbox>> inboxes;      // set at boot, for mailbox depths
  Mailbox<SupervisorTask> supervisor_inbox{256};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> shed{0};
  std::atomic<std::size_t> next_actor_loop{0};  // Engine::spawn's round robin
  std::atomic<std::size_t> next_timer_loop{0};  // Engine::schedule's round robin
  bool client_only = false;  // a Client's own loops (client.hpp): no listeners; set before boot

  // Any thread: asks for a graceful stop. False when one was asked for already.
  bool request_stop(std::chrono::milliseconds deadline);
  // Loop thread, as its last act.
  void loop_finished(std::size_t index);

  // Any thread: the engine's pool for offload(), started on first use (most servers never
  // offload and should not pay for idle threads). Supervisor thread, once every loop has
  // finished: release_workers() runs what is queued and joins the threads.
  WorkerPool& workers();
  void release_workers();

  // Listeners, for Engine::dup() and listen_addresses(); guarded because users may ask from
  // any thread while the supervisor closes them.
  std::mutex listeners_mutex;
  std::vector<int> listener_fds;
  std::vector<io::SocketAddress> bound;

  std::once_flag workers_started;
  std::unique_ptr<WorkerPool> workers_pool;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> stopped{false};
};

}  // namespace actnet::detail
