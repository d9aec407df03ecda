#pragma once
// LinkedListBuffer is the overflow of a connection's outbound bytes: a queue of fixed-size
// chunks taken from the loop's BufferPool, so a peer that reads slowly makes the queue longer
// without ever moving the bytes already queued, and the queue leaves with writev over the
// chunks. It owns its chunks (each one pool block, header included) and gives each back as
// soon as it is drained, so an empty list holds no memory; steady state allocates nothing.
//
// Loop thread only: not thread-safe; one event loop owns it. The pool must outlive it.
//
// Views and iovecs point into the chunks (or a scratch block) and stay valid until the next
// non-const call. peek(n) over bytes that span chunks copies them into a scratch block from
// the pool (O(n)); next(n) that empties the first chunk keeps it until the next non-const
// call (or trim()), since its view points into it. Operations on more than buffered() act on
// what is buffered; write() beyond max_bytes (or when the heap refuses) stores what fits and
// returns the count.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "actnet/export.hpp"

namespace actnet::io {

class BufferPool;

/// A list of pool chunks, bounded by max_bytes: the overflow of a
/// connection's outbound ring. Loop thread only.
class ACTNET_API LinkedListBuffer {
 public:
  /// The chunk size when none is given.
  static constexpr std::size_t kDefaultChunkSize = 4096;
  /// The smallest chunk size accepted.
  static constexpr std::size_t kMinChunkSize = 64;
  /// The largest chunk size accepted.
  static constexpr std::size_t kMaxChunkSize = std::size_t{1} << 30;
  /// max_bytes meaning "no bound".
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  /// chunk_size is the pool block per chunk (rounded up to a power of two within
  /// [kMinChunkSize, kMaxChunkSize]); a small header in it leaves chunk_payload() for bytes.
  /// max_bytes bounds buffered().
  explicit LinkedListBuffer(BufferPool& pool, std::size_t chunk_size = kDefaultChunkSize,
                            std::size_t max_bytes = kUnlimited) noexcept;
  /// Takes `other`'s chunks; `other` is left empty.
  LinkedListBuffer(LinkedListBuffer&& other) noexcept;
  /// Frees this buffer's chunks, then takes `other`'s.
  LinkedListBuffer& operator=(LinkedListBuffer&& other) noexcept;
  LinkedListBuffer(const LinkedListBuffer&) = delete;
  LinkedListBuffer& operator=(const LinkedListBuffer&) = delete;
  ~LinkedListBuffer();

  /// Bytes stored and not yet consumed.
  std::size_t buffered() const noexcept { return size_; }
  /// Whether buffered() is 0.
  bool empty() const noexcept { return size_ == 0; }
  /// Bytes a write can still store before max_bytes.
  std::size_t available() const noexcept { return max_bytes_ - size_; }
  /// Chunks held now.
  std::size_t chunks() const noexcept { return chunks_; }
  /// The pool block size of each chunk.
  std::size_t chunk_size() const noexcept { return chunk_size_; }
  /// Bytes of payload one chunk holds (chunk_size() less its header).
  std::size_t chunk_payload() const noexcept;
  /// Chunks held plus any scratch block or kept chunk from the last peek/next.
  std::size_t heap_bytes() const noexcept { return chunks_ * chunk_size_ + parked_size_; }

  /// Appends bytes, filling the last chunk first; returns how many it stored.
  std::size_t write(std::string_view bytes) noexcept;
  /// The first min(n, buffered()) bytes, contiguous (copied into scratch if they span chunks;
  /// shorter than that only if the heap refuses the scratch block).
  std::string_view peek(std::size_t n) noexcept;
  /// peek(n), then consumes those bytes; the view is valid until the next non-const call.
  std::string_view next(std::size_t n) noexcept;
  /// Drops up to n bytes from the front; returns how many.
  std::size_t discard(std::size_t n) noexcept;
  /// Moves up to dst.size() bytes into dst; returns how many.
  std::size_t read(std::span<char> dst) noexcept;
  /// Copies up to dst.size() bytes into dst without consuming them; returns how many.
  std::size_t peek_into(std::span<char> dst) const noexcept;
  /// Drops every byte and gives the chunks back to the pool.
  void clear() noexcept;

  /// The readable bytes as one iovec per chunk, front first, for writev; fills at most
  /// out.size() entries (keep it at most IOV_MAX) and returns how many. After a write of k
  /// bytes, discard(k).
  std::size_t readable_iovecs(std::span<iovec> out) const noexcept;

  /// Gives back the scratch block or kept chunk of the last peek/next (any non-const call does).
  void trim() noexcept { settle(); }

 private:
  struct Chunk;
  Chunk* new_chunk() noexcept;
  void pop_front() noexcept;
  void drop(std::size_t n) noexcept;
  void settle() noexcept;
  void park(char* block, std::size_t size) noexcept;

  BufferPool* pool_;
  std::size_t chunk_size_;
  std::size_t max_bytes_;
  Chunk* head_ = nullptr;
  Chunk* tail_ = nullptr;
  std::size_t size_ = 0;
  std::size_t chunks_ = 0;
  char* parked_ = nullptr;  // a block the last returned view points into
  std::size_t parked_size_ = 0;
};

}  // namespace actnet::io
