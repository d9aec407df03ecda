#pragma once
// WorkerPool runs blocking work off the event loops (DESIGN rule 2), the role gnet gives
// the ants goroutine pool. It owns a fixed number of threads and a bounded queue: a loop
// uses try_submit(), which never blocks and answers `full` at capacity rather than dropping
// the job silently; other threads may use submit(), which waits for room. Jobs answer
// their requesters by message (a ConnRef or an ActorRef), never by touching loop state.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "actnet/export.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

/// How a WorkerPool is built.
struct ACTNET_API WorkerPoolOptions {
  std::size_t threads = 4;                 ///< worker threads, started by the constructor
  std::size_t capacity = 1024;             ///< jobs queued and not yet started
  std::string name = "actnet-pool";        ///< thread names: `name-index`, cut to 15 characters
  std::shared_ptr<spdlog::logger> logger;  ///< default: log::default_logger()
};

/// The answer of WorkerPool::submit() and try_submit().
enum class SubmitResult : std::uint8_t {
  ok,        ///< queued
  full,      ///< try_submit only: the queue is at capacity; the job was not taken
  released,  ///< the pool no longer takes jobs; the job was not taken
};

/// Runs blocking work off the event loops: a fixed set of threads and a bounded queue.
/// From a loop use try_submit(), which never blocks; a job answers its requester by message.
class ACTNET_API WorkerPool {
 public:
  /// What the pool runs: a move-only callable.
  using Job = UniqueFunction<void()>;

  /// Starts the threads. Throws std::invalid_argument for zero threads or zero capacity.
  explicit WorkerPool(WorkerPoolOptions options = {});
  /// Releases (waits for queued jobs) if the owner did not.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Any thread but a loop's: queues `job`, waiting while the queue is full.
  template <class F>
  SubmitResult submit(F&& job) {
    return enqueue(std::forward<F>(job), /*wait=*/true);
  }

  /// Any thread, loops included: queues `job` or answers `full` at once. When the answer is
  /// not `ok`, `job` was not consumed.
  template <class F>
  SubmitResult try_submit(F&& job) {
    return enqueue(std::forward<F>(job), /*wait=*/false);
  }

  /// Any thread but a worker's: stops taking jobs, runs every job already queued, then joins
  /// the threads. Idempotent; concurrent callers all return after the join.
  void release();

  // Any thread; snapshots:
  /// Jobs queued and not yet started.
  std::size_t pending() const noexcept { return queued_.load(std::memory_order_relaxed); }
  /// The number of worker threads.
  std::size_t threads() const noexcept { return workers_.size(); }
  /// How many jobs may wait at most.
  std::size_t capacity() const noexcept { return capacity_; }
  /// Jobs that returned normally so far.
  std::uint64_t completed_jobs() const noexcept {
    return completed_.load(std::memory_order_relaxed);
  }
  /// Jobs that threw so far (logged; the pool goes on).
  std::uint64_t failed_jobs() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  struct Shared;

  // The job is constructed only once a slot is reserved, so a refused job is left intact.
  template <class F>
  SubmitResult enqueue(F&& job, bool wait) {
    SubmitResult r = reserve(wait);
    if (r == SubmitResult::ok) {
      try {
        commit(Job(std::forward<F>(job)));
      } catch (...) {
        cancel();
        throw;
      }
    }
    return r;
  }
  SubmitResult reserve(bool wait);  // takes a free slot and marks a submit in flight
  void commit(Job job);             // queues the job into the reserved slot
  void cancel() noexcept;           // gives a reserved slot back
  void work(std::size_t index);
  void run(Job& job) noexcept;

  std::unique_ptr<Shared> shared_;
  std::shared_ptr<spdlog::logger> logger_;
  std::size_t capacity_;
  std::vector<std::thread> workers_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace actnet
