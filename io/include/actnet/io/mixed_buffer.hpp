#pragma once
// MixedBuffer is a connection's outbound buffer: bytes the socket did not take yet. Most
// replies are small and leave at once, so they go into an elastic ring (contiguous, one or
// two iovecs); a peer that reads slowly pushes the rest past the ring's cap into a linked
// list of pooled chunks, which grows without moving what is queued. Reads, iovec export and
// discard see one ordered stream: ring bytes first, then list bytes; while the list holds
// anything, new bytes go to the list so the order holds. It owns the ring, the list and at
// most one scratch block; it holds no memory while empty (see the next()/trim() rule of
// ElasticRingBuffer and LinkedListBuffer).
//
// Loop thread only: not thread-safe; one event loop owns it. The pool must outlive it.
// Views and iovecs are valid until the next non-const call. Operations on more than
// buffered() act on what is buffered; write() beyond max_bytes stores what fits and
// returns the count (check available() first to refuse a message whole).

#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <string_view>

#include "actnet/export.hpp"
#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/elastic_ring_buffer.hpp"
#include "actnet/io/linked_list_buffer.hpp"

namespace actnet::io {

/// A connection's outbound buffer: a RingBuffer up to the write cap, then a
/// LinkedListBuffer for the overflow (gnet's "elastic" buffer). Loop thread only.
class ACTNET_API MixedBuffer {
 public:
  /// max_bytes meaning "no bound".
  static constexpr std::size_t kUnlimited = LinkedListBuffer::kUnlimited;

  /// ring_cap: the ring's cap (the write cap, rounded up to a power of two); chunk_size: the
  /// overflow list's chunk block; max_bytes: the bound on buffered() (a high-water mark is
  /// the caller's; this is the hard limit).
  MixedBuffer(BufferPool& pool, std::size_t ring_cap,
              std::size_t chunk_size = LinkedListBuffer::kDefaultChunkSize,
              std::size_t max_bytes = kUnlimited) noexcept;
  /// Takes `other`'s bytes; `other` is left empty.
  MixedBuffer(MixedBuffer&& other) noexcept;
  MixedBuffer(const MixedBuffer&) = delete;
  MixedBuffer& operator=(const MixedBuffer&) = delete;
  ~MixedBuffer();

  /// Bytes stored and not yet consumed, ring and list together.
  std::size_t buffered() const noexcept { return ring_.buffered() + list_.buffered(); }
  /// Whether buffered() is 0.
  bool empty() const noexcept { return buffered() == 0; }
  /// Bytes a write can still store before max_bytes.
  std::size_t available() const noexcept { return max_bytes_ - buffered(); }
  /// Bytes in the ring.
  std::size_t ring_buffered() const noexcept { return ring_.buffered(); }
  /// Bytes in the overflow list.
  std::size_t list_buffered() const noexcept { return list_.buffered(); }
  /// Memory held: the ring's block, the list's chunks and any scratch block.
  std::size_t heap_bytes() const noexcept {
    return ring_.heap_bytes() + list_.heap_bytes() + scratch_size_;
  }

  /// Appends bytes: to the ring while the list is empty and the ring has room, else to the
  /// list (so order is kept); returns how many it stored.
  std::size_t write(std::string_view bytes) noexcept;
  /// The first min(n, buffered()) bytes, contiguous: from the ring or the list alone when
  /// they lie in one (see their costs), else copied into a scratch block from the pool.
  std::string_view peek(std::size_t n) noexcept;
  /// peek(n), then consumes those bytes; the view is valid until the next non-const call.
  std::string_view next(std::size_t n) noexcept;
  /// Drops up to n bytes from the front; returns how many.
  std::size_t discard(std::size_t n) noexcept;
  /// Moves up to dst.size() bytes into dst; returns how many.
  std::size_t read(std::span<char> dst) noexcept;
  /// Copies up to dst.size() bytes into dst without consuming them; returns how many.
  std::size_t peek_into(std::span<char> dst) const noexcept;
  /// Drops every byte and gives the storage back.
  void clear() noexcept;

  /// The ring's one or two iovecs, then one per list chunk, at most out.size() (keep it at
  /// most IOV_MAX); returns how many. After a writev of k bytes, discard(k).
  std::size_t readable_iovecs(std::span<iovec> out) const noexcept;

  /// Gives back what a last peek/next kept (scratch, a drained ring's block, a list chunk).
  void trim() noexcept { settle(); }

 private:
  void settle() noexcept;
  std::string_view copy_to_scratch(std::size_t n) noexcept;

  BufferPool* pool_;
  ElasticRingBuffer ring_;
  LinkedListBuffer list_;
  std::size_t max_bytes_;
  char* scratch_ = nullptr;  // the block the last spanning peek/next returned a view into
  std::size_t scratch_size_ = 0;
};

}  // namespace actnet::io
