#pragma once
// Mailbox<T> is the front door of every actor host (event loops, later user actor hosts):
// many producers, one consumer, over a moodycamel::ConcurrentQueue, with one eventfd to wake
// the consumer when it sleeps in epoll_wait.
//
// Ordering: FIFO per producer thread only. Messages pushed by different threads interleave
// in no promised order, even when one push "happened before" another in wall-clock time.
//
// Wake-ups are coalesced (Seastar's `_sleeping`): the consumer announces it is about to
// sleep, checks the queue once more, and only then sleeps; a producer writes the eventfd
// only when it sees that announcement, and only one producer per sleep does. A busy
// consumer therefore costs producers no system call at all.
//
// Closing: when its owner stops, the mailbox refuses new messages (push answers `closed`
// and leaves the message with the caller) and hands every message still queued to a reject
// function, so nothing is dropped silently.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>

#include <concurrentqueue.h>

#include "actnet/runtime/wakeup_fd.hpp"

namespace actnet {

/// The answer of Mailbox::push().
enum class PushResult : std::uint8_t {
  ok,      ///< queued; the consumer will see it
  closed,  ///< the owner has stopped; the message was not taken (still in the caller's hands)
};

/// The front door of every actor host and event loop: many producers, one consumer, over a
/// moodycamel::ConcurrentQueue, with an eventfd to wake a sleeping consumer. FIFO per
/// producer thread only; wake-ups are coalesced.
template <class T>
class Mailbox {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "mailbox messages must move without throwing");

 public:
  /// Messages taken from the queue per bulk dequeue.
  static constexpr std::size_t kBatch = 64;

  /// Preallocates room for `initial_capacity` messages so a steady state allocates nothing.
  explicit Mailbox(std::size_t initial_capacity = 1024)
      : queue_(initial_capacity), token_(queue_) {}
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  /// Any thread. On `closed` the message is left untouched, so the caller can fail it.
  /// Throws std::bad_alloc only when the queue cannot grow.
  PushResult push(T&& msg) {
    // The in-flight count lets close() wait for pushes that passed the closed check.
    if (state_.fetch_add(kPusher, std::memory_order_acquire) & kClosed) {
      state_.fetch_sub(kPusher, std::memory_order_release);
      return PushResult::closed;
    }
    const bool queued = queue_.enqueue(std::move(msg));
    state_.fetch_sub(kPusher, std::memory_order_release);
    if (!queued) throw std::bad_alloc();
    // Pairs with the fence in prepare_to_sleep(): either the consumer sees our message when
    // it looks again, or we see its `sleeping_` flag and wake it (a Dekker handshake).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_relaxed) &&
        sleeping_.exchange(false, std::memory_order_relaxed)) {
      wakeup_.notify();
    }
    return PushResult::ok;
  }

  /// Consumer thread: hands up to `budget` messages to `handle(T&)`, in bulk, and returns how
  /// many it handled. `handle` must not throw: a message taken from the queue has nowhere
  /// else to go, so the host catches what user code throws before it reaches here.
  template <class F>
  std::size_t drain(std::size_t budget, F&& handle) {
    static_assert(std::is_nothrow_invocable_v<F&, T&>, "a drain handler must be noexcept");
    std::size_t total = 0;
    while (total < budget) {
      const std::size_t want = std::min(kBatch, budget - total);
      Batch batch;
      const std::size_t n = queue_.try_dequeue_bulk(token_, batch.begin(), want);
      for (std::size_t i = 0; i < n; ++i) {
        T& msg = batch[i];
        handle(msg);
        msg.~T();
      }
      total += n;
      if (n < want) break;  // the queue ran dry
    }
    return total;
  }

  /// Consumer thread, right before it sleeps: true when it may sleep; false when a message
  /// arrived meanwhile (then it must not block: poll with timeout 0 instead).
  bool prepare_to_sleep() noexcept {
    sleeping_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (queue_.size_approx() != 0) {
      sleeping_.store(false, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  /// Consumer thread, right after its wait returned, for any reason.
  void awake() noexcept { sleeping_.store(false, std::memory_order_relaxed); }

  /// Consumer thread, when its poller reports wakeup_fd() readable.
  void acknowledge_wakeup() noexcept { wakeup_.consume(); }

  /// Consumer thread: refuses every later push, then hands each message still queued to
  /// `reject(T&)` and returns how many there were. Idempotent.
  template <class F>
  std::size_t close(F&& reject) {
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    // A push that passed the closed check is at most one enqueue away from done.
    while ((state_.load(std::memory_order_acquire) & ~kClosed) != 0)
      std::this_thread::yield();
    std::size_t total = 0;
    while (std::size_t n = drain(SIZE_MAX, reject))
      total += n;
    return total;
  }

  /// Any thread: whether close() was called.
  bool is_closed() const noexcept { return state_.load(std::memory_order_acquire) & kClosed; }
  /// Any thread: the eventfd the consumer registers in its poller.
  int wakeup_fd() const noexcept { return wakeup_.fd(); }
  /// Any thread; a snapshot that may be stale by the time it returns.
  std::size_t size_approx() const noexcept { return queue_.size_approx(); }
  /// Any thread: eventfd writes so far, to see how well wake-ups coalesce.
  std::uint64_t wakeups() const noexcept { return wakeup_.notifications(); }

 private:
  static constexpr std::uint64_t kClosed = 1;
  static constexpr std::uint64_t kPusher = 2;

  // Raw storage for one bulk dequeue: moodycamel move-assigns into `*it`, and the proxy
  // turns that into a placement-new, so T needs no default constructor.
  class Batch {
   public:
    struct Slot {
      T* p;
      Slot& operator=(T&& value) noexcept {
        ::new (static_cast<void*>(p)) T(std::move(value));
        return *this;
      }
    };
    struct Iterator {
      T* p;
      Slot operator*() const noexcept { return Slot{p}; }
      Iterator& operator++() noexcept {
        ++p;
        return *this;
      }
      Iterator operator++(int) noexcept { return Iterator{p++}; }
    };
    Iterator begin() noexcept { return Iterator{std::launder(reinterpret_cast<T*>(bytes_))}; }
    T& operator[](std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(bytes_))[i]; }

   private:
    alignas(T) unsigned char bytes_[sizeof(T) * kBatch];
  };

  moodycamel::ConcurrentQueue<T> queue_;
  moodycamel::ConsumerToken token_;
  WakeupFd wakeup_;
  // Apart from the queue's own lines: producers hammer state_, the consumer flips sleeping_.
  alignas(64) std::atomic<std::uint64_t> state_{0};  // kClosed | in-flight pushes * kPusher
  alignas(64) std::atomic<bool> sleeping_{false};
};

}  // namespace actnet
