#pragma once
// RingBuffer is a byte queue in one contiguous power-of-two block, indexed with a mask, so
// that a socket read lands straight in its free space with one readv and the bytes leave
// with one writev, and a backlog is never compacted. It owns that block (taken from a BufferPool
// when it has one, else from the heap) and grows it by doubling up to a fixed cap, never beyond.
//
// Loop thread only: not thread-safe; one event loop owns it.
//
// Views. peek() and next() return a std::string_view into the ring's storage, and the
// iovec exports point into it too. They stay valid until the next non-const call on the
// buffer (write, peek, next, discard, read, reserve, writable_iovecs, commit_write, clear,
// release_storage): any of those may move, overwrite or give back the bytes (gnet #647/#648:
// a view kept across calls reads someone else's bytes). Copy what must live longer.
//
// Short operations instead of errors. peek/next/discard/read of more than buffered() act
// on what is buffered and return it (possibly nothing). write() of more than available()
// (what fits under the cap) stores what fits and returns that count; it also stores less
// when the heap refuses to grow the block. Zero-length operations do nothing.

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

#include "actnet/export.hpp"

namespace actnet::io {

class BufferPool;

/// A bounded ring of bytes in one power-of-two block that grows by doubling up to its cap;
/// storage only from the first write. Loop thread only: not thread-safe.
class ACTNET_API RingBuffer {
 public:
  /// The smallest block a ring takes (BufferPool's smallest block).
  static constexpr std::size_t kMinCapacity = 16;
  /// The largest cap a ring accepts.
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 40;
  /// reserve() moves a leftover of at most capacity() / kStraightenFraction bytes to the
  /// front when it would make the coming read wrap (see reserve()).
  static constexpr std::size_t kStraightenFraction = 8;

  /// No storage until the first write or reserve. The cap is max_capacity rounded up to a
  /// power of two within [kMinCapacity, kMaxCapacity]. Without a pool the block comes from
  /// the heap; with one, the pool must outlive the ring.
  explicit RingBuffer(std::size_t max_capacity, BufferPool* pool = nullptr) noexcept;
  /// Takes `other`'s block and bytes; `other` is left empty, with no storage.
  RingBuffer(RingBuffer&& other) noexcept;
  /// Frees this ring's block, then takes `other`'s.
  RingBuffer& operator=(RingBuffer&& other) noexcept;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer();

  /// Bytes stored and not yet consumed.
  std::size_t buffered() const noexcept { return write_ - read_; }
  /// Whether buffered() is 0.
  bool empty() const noexcept { return write_ == read_; }
  /// Bytes a write can still store, growing the block up to the cap.
  std::size_t available() const noexcept { return max_capacity_ - buffered(); }
  /// The current block: what the free space and writable_iovecs() refer to.
  std::size_t capacity() const noexcept { return capacity_; }
  /// The cap the block may grow to.
  std::size_t max_capacity() const noexcept { return max_capacity_; }
  /// Free bytes in the current block, without growing.
  std::size_t free_space() const noexcept { return capacity_ - buffered(); }
  /// Heap memory this ring holds (its block, whether or not it came from a pool).
  std::size_t heap_bytes() const noexcept { return capacity_; }

  /// Appends bytes, growing the block (doubling) up to the cap; returns how many it stored.
  std::size_t write(std::string_view bytes) noexcept;

  /// The first min(n, buffered()) bytes, contiguous. When they wrap around the end of the
  /// block the ring linearizes IN PLACE (never allocates): the two pieces are moved so the
  /// readable bytes sit together. That costs a memmove of at most buffered() bytes when the
  /// free space is at least the shorter piece, else a std::rotate over buffered() bytes
  /// (a nearly full ring). Bytes that do not wrap cost nothing.
  /// (Inline: peek/next/discard run once per frame on the inbound path.)
  std::string_view peek(std::size_t n) noexcept {
    const std::size_t size = buffered();
    n = n < size ? n : size;
    if (head() + n > capacity_) linearize();
    return {data_ + head(), n};
  }
  /// peek(n), then consumes those bytes. The view stays valid until the next non-const call
  /// (consuming moves the read position, never the bytes).
  std::string_view next(std::size_t n) noexcept {
    const std::string_view view = peek(n);
    consume(view.size());
    return view;
  }
  /// Drops up to n bytes from the front; returns how many.
  std::size_t discard(std::size_t n) noexcept {
    const std::size_t size = buffered();
    n = n < size ? n : size;
    consume(n);
    return n;
  }
  /// Moves up to dst.size() bytes into dst; returns how many.
  std::size_t read(std::span<char> dst) noexcept;
  /// Copies up to dst.size() bytes into dst without consuming them; returns how many.
  std::size_t peek_into(std::span<char> dst) const noexcept;
  /// Drops every buffered byte.
  void clear() noexcept;

  /// The readable bytes as up to two iovecs (front first) for writev; returns how many
  /// entries it filled (at most out.size()). Follow a write of k bytes with discard(k).
  std::size_t readable_iovecs(std::span<iovec> out) const noexcept;

  /// The inbound path: reserve(n) makes room, writable_iovecs() exports the free space as up
  /// to two iovecs so one readv fills it, commit_write(k) adds the k bytes the kernel wrote.
  ///
  /// Grows the block (doubling) until free_space() >= min(n, available()); returns
  /// free_space(), which is smaller only if the heap refused. When the ring holds a small
  /// leftover (at most capacity() / kStraightenFraction bytes, e.g. half a frame) that wraps
  /// or leaves less than n before the end, reserve moves it to offset 0 (a memmove of those
  /// few bytes, muduo's compaction), so the read lands in one run and the frames it brings
  /// never wrap; a larger backlog stays where it is (no compaction: that is the ring's point).
  std::size_t reserve(std::size_t n) noexcept;
  /// The free space as up to two iovecs (none before the first reserve or write: a new ring
  /// has no block); returns how many entries it filled (at most out.size()).
  std::size_t writable_iovecs(std::span<iovec> out) noexcept;
  /// Adds k bytes written into the exported free space (k is clamped to free_space()).
  void commit_write(std::size_t k) noexcept;

  /// Gives the block back (to the pool or heap) if the ring is empty; returns whether the
  /// ring now holds no storage.
  bool release_storage() noexcept;
  /// Moves a small remainder (at most capacity() / kShrinkFraction bytes, e.g. the start of
  /// a frame left after a large read) into the smallest block that holds twice it, and gives
  /// the large block back; returns whether it moved. Reads take large blocks so that one
  /// syscall drains a pipelined burst; a connection waiting for the rest of a frame should
  /// not pin one. Costs a copy of the remainder, and the next reserve() grows again.
  bool shrink_to_fit() noexcept;
  /// shrink_to_fit() moves a remainder of at most capacity() / kShrinkFraction bytes.
  static constexpr std::size_t kShrinkFraction = 8;

 private:
  std::size_t mask() const noexcept { return capacity_ - 1; }
  std::size_t head() const noexcept { return read_ & mask(); }   // offset of the first byte
  std::size_t tail() const noexcept { return write_ & mask(); }  // offset of the first free
  bool grow_for(std::size_t extra) noexcept;
  void relocate(char* block, std::size_t capacity) noexcept;
  [[gnu::cold]] void linearize() noexcept;
  void straighten() noexcept;
  void copy_in(const char* src, std::size_t n) noexcept;
  void copy_out(char* dst, std::size_t n) const noexcept;
  // One store per frame: the counters run free and only their low bits are offsets.
  void consume(std::size_t n) noexcept { read_ += n; }
  // An empty ring restarts at offset 0, so the next write or readv gets one contiguous run.
  // (Done where bytes come in, not in consume(), which runs once per frame.)
  void rewind_if_empty() noexcept {
    if (write_ == read_) read_ = write_ = 0;
  }
  // Makes the readable bytes start at offset `at`.
  void set_head(std::size_t at) noexcept {
    write_ = at + buffered();
    read_ = at;
  }
  char* allocate(std::size_t n) noexcept;
  void deallocate(char* block, std::size_t n) noexcept;

  BufferPool* pool_;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t max_capacity_;  // a power of two
  // Free-running counters of bytes read and written (buffered() = write_ - read_); a
  // block's offsets are their low bits, as capacity_ is a power of two.
  std::size_t read_ = 0;
  std::size_t write_ = 0;
};

}  // namespace actnet::io
