#include "actnet/runtime/worker_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <stdexcept>

#include <concurrentqueue.h>
#include <lightweightsemaphore.h>

#include "actnet/runtime/log.hpp"

namespace actnet {

// How the pool's counters fit together:
//  - free_slots: capacity minus jobs reserved or queued; submitters wait on it.
//  - queued_: jobs queued and not yet claimed by a worker; incremented after the enqueue.
//  - items: one token per queued job, plus one per worker once released. A worker that takes
//    a token claims a job by decrementing queued_; when there is none to claim, the token
//    was an exit token. So every job is run and every worker exits exactly once.
struct WorkerPool::Shared {
  explicit Shared(std::size_t capacity)
      : jobs(capacity),
        free_slots(static_cast<moodycamel::LightweightSemaphore::ssize_t>(capacity)) {}

  moodycamel::ConcurrentQueue<Job> jobs;
  moodycamel::LightweightSemaphore free_slots;
  moodycamel::LightweightSemaphore items;
  std::atomic<std::uint64_t> state{0};  // kReleased | submits in flight * kSubmitter
  std::mutex release_mutex;             // serializes release(); never taken by a job
  bool joined = false;
};

namespace {
constexpr std::uint64_t kReleased = 1;
constexpr std::uint64_t kSubmitter = 2;
}  // namespace

WorkerPool::WorkerPool(WorkerPoolOptions options)
    : logger_(options.logger ? options.logger : log::default_logger()),
      capacity_(options.capacity) {
  if (options.threads == 0) throw std::invalid_argument("WorkerPool: threads must be at least 1");
  if (options.capacity == 0) throw std::invalid_argument("WorkerPool: capacity must be at least 1");
  shared_ = std::make_unique<Shared>(options.capacity);
  workers_.reserve(options.threads);
  for (std::size_t i = 0; i < options.threads; ++i) {
    workers_.emplace_back([this, i] { work(i); });
    const std::string name = (options.name + "-" + std::to_string(i)).substr(0, 15);
    pthread_setname_np(workers_.back().native_handle(), name.c_str());
  }
}

WorkerPool::~WorkerPool() {
  release();
}

SubmitResult WorkerPool::reserve(bool wait) {
  Shared& s = *shared_;
  // Counting ourselves in flight first lets release() wait until we are done.
  if (s.state.fetch_add(kSubmitter, std::memory_order_acquire) & kReleased) {
    s.state.fetch_sub(kSubmitter, std::memory_order_release);
    return SubmitResult::released;
  }
  const bool slot = wait ? s.free_slots.wait() : s.free_slots.tryWait();
  if (!slot) {
    s.state.fetch_sub(kSubmitter, std::memory_order_release);
    return SubmitResult::full;
  }
  if (s.state.load(std::memory_order_acquire) & kReleased) {  // released while we waited
    s.state.fetch_sub(kSubmitter, std::memory_order_release);
    return SubmitResult::released;
  }
  return SubmitResult::ok;
}

void WorkerPool::commit(Job job) {
  Shared& s = *shared_;
  if (!s.jobs.enqueue(std::move(job))) throw std::bad_alloc();
  queued_.fetch_add(1, std::memory_order_release);
  s.items.signal();
  s.state.fetch_sub(kSubmitter, std::memory_order_release);
}

void WorkerPool::cancel() noexcept {
  shared_->free_slots.signal();
  shared_->state.fetch_sub(kSubmitter, std::memory_order_release);
}

void WorkerPool::work(std::size_t) {
  Shared& s = *shared_;
  for (;;) {
    s.items.wait();
    std::size_t queued = queued_.load(std::memory_order_acquire);
    while (queued > 0 &&
           !queued_.compare_exchange_weak(queued, queued - 1, std::memory_order_acq_rel)) {
    }
    if (queued == 0) return;  // an exit token: released, and no job left to claim
    Job job;
    // The claimed job was enqueued before queued_ counted it; a dequeue racing with other
    // queue operations may still miss it once, so try until it comes.
    while (!s.jobs.try_dequeue(job))
      std::this_thread::yield();
    s.free_slots.signal();
    run(job);
  }
}

void WorkerPool::run(Job& job) noexcept {
  try {
    job();
    completed_.fetch_add(1, std::memory_order_relaxed);
    return;
  } catch (const std::exception& e) {
    logger_->error("worker pool job threw: {}", e.what());
  } catch (...) {
    logger_->error("worker pool job threw a non-standard exception");
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
}

void WorkerPool::release() {
  Shared& s = *shared_;
  const auto self = std::this_thread::get_id();
  if (std::any_of(workers_.begin(), workers_.end(),
                  [&](const std::thread& t) { return t.get_id() == self; })) {
    throw std::logic_error("WorkerPool::release called from one of its own workers");
  }
  std::lock_guard lock(s.release_mutex);
  if (s.joined) return;
  s.state.fetch_or(kReleased, std::memory_order_acq_rel);
  // Wake every submitter blocked on a full queue; each sees the pool released.
  s.free_slots.signal(static_cast<moodycamel::LightweightSemaphore::ssize_t>(1) << 30);
  while ((s.state.load(std::memory_order_acquire) & ~kReleased) != 0)
    std::this_thread::yield();
  s.items.signal(static_cast<moodycamel::LightweightSemaphore::ssize_t>(workers_.size()));
  for (std::thread& t : workers_)
    t.join();
  s.joined = true;
}

}  // namespace actnet
