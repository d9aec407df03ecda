#pragma once
// VectorQueue<T> is a FIFO for per-connection queues that are empty nearly all the time
// (write completions waiting for the kernel, a connected UDP socket's unsent datagrams). An
// empty std::deque is not free: libstdc++'s constructor allocates its map and a first
// 512-byte node, about 600 heap bytes per idle connection for each deque. A VectorQueue
// holds no memory until its first push, pops by moving a head index (no shifting), and
// rewinds to the front once drained, so a queue used in bursts reuses one block and a
// steady state allocates nothing. It owns its elements; the block stays until clear()
// with release, or destruction.
//
// Not thread-safe: one owner (a connection's loop) uses it.

#include <cstddef>
#include <utility>
#include <vector>

namespace actnet {

/// A FIFO that holds no memory until its first push and reuses one block across bursts:
/// for per-connection queues that are empty nearly all the time. Not thread-safe.
template <class T>
class VectorQueue {
 public:
  bool empty() const noexcept { return head_ == items_.size(); }       ///< no element queued
  std::size_t size() const noexcept { return items_.size() - head_; }  ///< elements queued

  T& front() noexcept { return items_[head_]; }              ///< the oldest element (not empty())
  const T& front() const noexcept { return items_[head_]; }  ///< the oldest element

  void push_back(T&& item) { items_.push_back(std::move(item)); }  ///< appends `item`

  /// Destroys the front element. Once the queue drains it restarts at the block's start; a
  /// queue that never drains (a writer always ahead of a slow peer) moves its elements to
  /// the front once the dead ones outnumber them, so it holds what it holds, not its history.
  void pop_front() noexcept {
    items_[head_] = T();  // what it owned goes now, not at the next rewind
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  /// Destroys every element; the block is kept for the next burst.
  void clear() noexcept {
    items_.clear();
    head_ = 0;
  }

  /// Destroys every element and gives the block back (a connection that closed).
  void release() noexcept {
    std::vector<T>().swap(items_);
    head_ = 0;
  }

  /// The front element's iterator (front to back: the queue's order).
  auto begin() noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  /// Past the back element.
  auto end() noexcept { return items_.end(); }

 private:
  static constexpr std::size_t kCompactAfter = 32;  // dead elements before a compaction

  std::vector<T> items_;
  std::size_t head_ = 0;  // index of the front element
};

}  // namespace actnet
