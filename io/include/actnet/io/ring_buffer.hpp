#pragma once
// RingBuffer is a byte queue in one contiguous power-of-two block, indexed with a mask, so
// that a socket read lands straight in its free space with one readv and the bytes leave
// with one writev, without compaction. It owns that block (taken from a BufferPool when it
// has one, else from the heap) and grows it by doubling up to a fixed cap, never beyond.
//
// Loop thread only: not thread-safe; one event loop owns it.
//
// Views. peek() and next() return a std::string_view into the ring's storage, and the
// iovec exports point into it too. They stay valid until the next non-const call on the
// buffer (write, peek, next, discard, read, reserve, commit_write, clear, release_storage):
// any of those may move, overwrite or give back the bytes. Copy what must live longer.
//
// Short operations instead of errors. peek/next/discard/read of more than buffered() act
// on what is buffered and return it (possibly nothing). write() of more than available()
// (what fits under the cap) stores what fits and returns that count; it also stores less
// when the heap refuses to grow the block. Zero-length operations do nothing.

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

namespace actnet::io {

class BufferPool;

class RingBuffer {
 public:
  // The smallest block a ring takes (BufferPool's smallest block).
  static constexpr std::size_t kMinCapacity = 16;
  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 40;

  // No storage until the first write or reserve. The cap is max_capacity rounded up to a
  // power of two within [kMinCapacity, kMaxCapacity]. Without a pool the block comes from
  // the heap; with one, the pool must outlive the ring.
  explicit RingBuffer(std::size_t max_capacity, BufferPool* pool = nullptr) noexcept;
  RingBuffer(RingBuffer&& other) noexcept;
  RingBuffer& operator=(RingBuffer&& other) noexcept;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer();

  std::size_t buffered() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Bytes a write can still store, growing the block up to the cap.
  std::size_t available() const noexcept { return max_capacity_ - size_; }
  // The current block: what the free space and writable_iovecs() refer to.
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t max_capacity() const noexcept { return max_capacity_; }
  // Free bytes in the current block, without growing.
  std::size_t free_space() const noexcept { return capacity_ - size_; }
  // Heap memory this ring holds (its block, whether or not it came from a pool).
  std::size_t heap_bytes() const noexcept { return capacity_; }

  // Appends bytes, growing the block (doubling) up to the cap; returns how many it stored.
  std::size_t write(std::string_view bytes) noexcept;

  // The first min(n, buffered()) bytes, contiguous. When they wrap around the end of the
  // block the ring linearizes IN PLACE (never allocates): the two pieces are moved so the
  // readable bytes sit together. That costs a memmove of at most buffered() bytes when the
  // free space is at least the shorter piece, else a std::rotate over buffered() bytes
  // (a nearly full ring). Bytes that do not wrap cost nothing.
  std::string_view peek(std::size_t n) noexcept;
  // peek(n), then consumes those bytes. The view stays valid until the next non-const call.
  std::string_view next(std::size_t n) noexcept;
  // Drops up to n bytes from the front; returns how many.
  std::size_t discard(std::size_t n) noexcept;
  // Moves up to dst.size() bytes into dst; returns how many.
  std::size_t read(std::span<char> dst) noexcept;
  // Copies up to dst.size() bytes into dst without consuming them; returns how many.
  std::size_t peek_into(std::span<char> dst) const noexcept;
  void clear() noexcept;

  // The readable bytes as up to two iovecs (front first) for writev; returns how many
  // entries it filled (at most out.size()). Follow a write of k bytes with discard(k).
  std::size_t readable_iovecs(std::span<iovec> out) const noexcept;

  // The inbound path: reserve(n) makes room, writable_iovecs() exports the free space as up
  // to two iovecs so one readv fills it, commit_write(k) adds the k bytes the kernel wrote.
  //
  // Grows the block (doubling) until free_space() >= min(n, available()); returns
  // free_space(), which is smaller only if the heap refused.
  std::size_t reserve(std::size_t n) noexcept;
  std::size_t writable_iovecs(std::span<iovec> out) noexcept;
  // Adds k bytes written into the exported free space (k is clamped to free_space()).
  void commit_write(std::size_t k) noexcept;

  // Gives the block back (to the pool or heap) if the ring is empty; returns whether the
  // ring now holds no storage.
  bool release_storage() noexcept;

 private:
  std::size_t mask() const noexcept { return capacity_ - 1; }
  std::size_t tail() const noexcept { return (head_ + size_) & mask(); }
  bool grow_for(std::size_t extra) noexcept;
  void relocate(char* block, std::size_t capacity) noexcept;
  void linearize() noexcept;
  void copy_in(const char* src, std::size_t n) noexcept;
  void copy_out(char* dst, std::size_t n) const noexcept;
  void consume(std::size_t n) noexcept;
  char* allocate(std::size_t n) noexcept;
  void deallocate(char* block, std::size_t n) noexcept;

  BufferPool* pool_;
  char* data_ = nullptr;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t max_capacity_;  // a power of two
  std::size_t head_ = 0;      // offset of the first readable byte
  std::size_t size_ = 0;
};

}  // namespace actnet::io
