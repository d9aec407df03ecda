#pragma once
// ElasticRingBuffer is a connection's inbound buffer: a RingBuffer that holds storage only
// while it holds bytes. Most connections are idle most of the time, so an idle one must cost
// no buffer: the block comes from the loop's BufferPool on the first write (or reserve) and
// goes back to the pool as soon as the buffer is drained. It grows by doubling up to the
// read cap, never beyond. It owns its block while it has one; the pool must outlive it.
//
// Loop thread only: not thread-safe; one event loop owns it.
//
// When the block goes back: every non-const call that leaves the buffer empty returns it,
// except next() and reserve(). next() returns a view into the block, so a next() that
// drains the buffer keeps the block until the following non-const call (or trim()).
// reserve() takes a block to read into; commit_write() returns it if nothing came.
// Views and iovecs follow RingBuffer's rule: valid until the next non-const call.
//
// The inbound turn:  reserve(n) → writable_iovecs() → readv → commit_write(bytes read, or 0
// on EAGAIN/EOF/error) → handler peeks/nexts/discards → empty again → block back in the pool.

#include <cstddef>
#include <span>
#include <string_view>

#include "actnet/export.hpp"
#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/ring_buffer.hpp"

namespace actnet::io {

/// A connection's inbound buffer: a RingBuffer whose block comes from the loop's BufferPool
/// on the first write and goes back as soon as it is drained. Loop thread only.
class ACTNET_API ElasticRingBuffer {
 public:
  /// max_capacity is the read cap (rounded up to a power of two, see RingBuffer).
  ElasticRingBuffer(BufferPool& pool, std::size_t max_capacity) noexcept
      : ring_(max_capacity, &pool) {}

  /// RingBuffer::buffered().
  std::size_t buffered() const noexcept { return ring_.buffered(); }
  /// RingBuffer::empty().
  bool empty() const noexcept { return ring_.empty(); }
  /// RingBuffer::available().
  std::size_t available() const noexcept { return ring_.available(); }
  /// RingBuffer::capacity() (0 while it holds no block).
  std::size_t capacity() const noexcept { return ring_.capacity(); }
  /// RingBuffer::max_capacity().
  std::size_t max_capacity() const noexcept { return ring_.max_capacity(); }
  /// RingBuffer::free_space().
  std::size_t free_space() const noexcept { return ring_.free_space(); }
  /// 0 whenever the buffer is empty, except right after a draining next() or a reserve().
  std::size_t heap_bytes() const noexcept { return ring_.heap_bytes(); }

  /// RingBuffer::write(); the block goes back to the pool if nothing was stored.
  std::size_t write(std::string_view bytes) noexcept {
    const std::size_t n = ring_.write(bytes);
    settle();
    return n;
  }
  /// RingBuffer::peek().
  std::string_view peek(std::size_t n) noexcept {
    settle();
    return ring_.peek(n);
  }
  /// RingBuffer::next(); keeps the block even when it drains, for the view's sake.
  std::string_view next(std::size_t n) noexcept {
    settle();
    return ring_.next(n);  // keeps the block even if drained: the view points into it
  }
  /// RingBuffer::discard(); a drained buffer gives its block back.
  std::size_t discard(std::size_t n) noexcept {
    const std::size_t done = ring_.discard(n);
    settle();
    return done;
  }
  /// RingBuffer::read(); a drained buffer gives its block back.
  std::size_t read(std::span<char> dst) noexcept {
    const std::size_t done = ring_.read(dst);
    settle();
    return done;
  }
  /// RingBuffer::peek_into().
  std::size_t peek_into(std::span<char> dst) const noexcept { return ring_.peek_into(dst); }
  /// Drops every byte and gives the block back.
  void clear() noexcept {
    ring_.clear();
    settle();
  }
  /// RingBuffer::readable_iovecs().
  std::size_t readable_iovecs(std::span<iovec> out) const noexcept {
    return ring_.readable_iovecs(out);
  }

  /// RingBuffer::reserve(): takes a block to read into.
  std::size_t reserve(std::size_t n) noexcept { return ring_.reserve(n); }
  /// RingBuffer::writable_iovecs().
  std::size_t writable_iovecs(std::span<iovec> out) noexcept { return ring_.writable_iovecs(out); }
  /// RingBuffer::commit_write(); gives the block back if nothing came.
  void commit_write(std::size_t k) noexcept {
    ring_.commit_write(k);
    settle();
  }

  /// Gives the block back if the buffer is empty (after a draining next(), or a reserve()
  /// that was not followed by a read), or moves a small remainder into a small block
  /// (RingBuffer::shrink_to_fit()), so that between reads a connection holds no more than
  /// about twice what it buffers. Invalidates views, like any non-const call.
  void trim() noexcept {
    if (ring_.empty())
      ring_.release_storage();
    else
      ring_.shrink_to_fit();
  }

 private:
  void settle() noexcept {
    if (ring_.empty()) ring_.release_storage();
  }

  RingBuffer ring_;
};

}  // namespace actnet::io
