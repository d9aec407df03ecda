#pragma once
// BufferPool is a loop's stock of buffer memory. Connection buffers hold storage only while
// they hold bytes (an idle connection costs no buffer), so they take and give back blocks
// all the time; the pool keeps the blocks they give back, sorted by power-of-two size, so
// that the steady state never calls the heap. It owns the blocks it keeps (not the ones it
// has handed out) and keeps at most `max_kept_bytes` of them: past that, a returned block
// goes back to the heap, so a burst does not pin its peak memory forever.
//
// Loop thread only: one pool per event loop, not thread-safe (no locks on the hot path).
// Every buffer that takes blocks from a pool must be destroyed before the pool.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "actnet/export.hpp"

namespace actnet::io {

/// A loop's stock of buffer memory: blocks kept by power-of-two size so the steady state
/// never calls the heap, at most max_kept_bytes of them. Loop thread only.
class ACTNET_API BufferPool {
 public:
  /// The smallest block: a kept block stores the free-list link in its own first bytes.
  static constexpr std::size_t kMinBlock = 16;
  /// The largest block acquire() hands out.
  static constexpr std::size_t kMaxBlock = std::size_t{1} << 40;
  /// How much idle memory a pool keeps by default (8 MiB).
  static constexpr std::size_t kDefaultMaxKeptBytes = std::size_t{8} << 20;

  /// What the pool has done so far, and holds now.
  struct Stats {
    std::size_t kept_bytes = 0;          ///< idle in the pool, ready for reuse
    std::size_t kept_blocks = 0;         ///< blocks idle in the pool
    std::size_t outstanding_bytes = 0;   ///< handed out and not yet given back
    std::size_t outstanding_blocks = 0;  ///< blocks handed out and not yet given back
    std::uint64_t acquires = 0;          ///< acquire() calls
    std::uint64_t hits = 0;              ///< acquires served from kept blocks
    std::uint64_t heap_allocations = 0;  ///< acquires that had to call the heap
    std::uint64_t heap_frees = 0;        ///< blocks given back to the heap (over the bound, trim)
    std::uint64_t heap_failures = 0;     ///< acquires the heap refused
  };

  /// An empty pool that keeps at most `max_kept_bytes` of idle blocks.
  explicit BufferPool(std::size_t max_kept_bytes = kDefaultMaxKeptBytes) noexcept
      : max_kept_bytes_(max_kept_bytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// The size of the block acquire(n) hands out: n rounded up to a power of two, at least
  /// kMinBlock. n must not exceed kMaxBlock.
  static constexpr std::size_t block_size(std::size_t n) noexcept {
    return n <= kMinBlock ? kMinBlock : std::bit_ceil(n);
  }

  /// A block of block_size(n) bytes, or nullptr when the heap refuses (never throws).
  /// Loop thread only.
  char* acquire(std::size_t n) noexcept;
  /// Gives back a block from acquire(n), with the same n. nullptr is ignored. Loop thread only.
  void release(char* block, std::size_t n) noexcept;
  /// Returns every kept block to the heap (e.g. when the engine sheds memory). Loop thread only.
  void trim() noexcept;

  /// The bound on idle memory kept.
  std::size_t max_kept_bytes() const noexcept { return max_kept_bytes_; }
  /// The counters.
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr std::size_t kClasses = 41;  // log2(kMaxBlock) + 1

  std::array<FreeBlock*, kClasses> free_{};  // one free list per power of two
  std::size_t max_kept_bytes_;
  Stats stats_;
};

}  // namespace actnet::io
