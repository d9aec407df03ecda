#include "actnet/io/mixed_buffer.hpp"

#include <algorithm>
#include <utility>

namespace actnet::io {

MixedBuffer::MixedBuffer(BufferPool& pool, std::size_t ring_cap, std::size_t chunk_size,
                         std::size_t max_bytes) noexcept
    : pool_(&pool), ring_(pool, ring_cap), list_(pool, chunk_size), max_bytes_(max_bytes) {}

MixedBuffer::MixedBuffer(MixedBuffer&& other) noexcept
    : pool_(other.pool_),
      ring_(std::move(other.ring_)),
      list_(std::move(other.list_)),
      max_bytes_(other.max_bytes_),
      scratch_(std::exchange(other.scratch_, nullptr)),
      scratch_size_(std::exchange(other.scratch_size_, 0)) {}

MixedBuffer::~MixedBuffer() {
  pool_->release(scratch_, scratch_size_);
}

std::size_t MixedBuffer::write(std::string_view bytes) noexcept {
  settle();
  bytes = bytes.substr(0, std::min(bytes.size(), available()));
  std::size_t done = 0;
  // Only while the list is empty may bytes go to the ring: the list's bytes come first.
  if (list_.empty()) done = ring_.write(bytes);
  if (done < bytes.size()) done += list_.write(bytes.substr(done));
  return done;
}

std::string_view MixedBuffer::peek(std::size_t n) noexcept {
  settle();
  n = std::min(n, buffered());
  const std::size_t in_ring = ring_.buffered();
  if (n <= in_ring) return ring_.peek(n);
  if (in_ring == 0) return list_.peek(n);
  const std::string_view view = copy_to_scratch(n);
  return view.empty() ? ring_.peek(in_ring) : view;
}

std::string_view MixedBuffer::next(std::size_t n) noexcept {
  settle();
  n = std::min(n, buffered());
  const std::size_t in_ring = ring_.buffered();
  if (n <= in_ring) return ring_.next(n);
  if (in_ring == 0) return list_.next(n);
  const std::string_view view = copy_to_scratch(n);
  if (view.empty()) return ring_.next(in_ring);  // the heap refused scratch: a shorter view
  ring_.discard(in_ring);
  list_.discard(n - in_ring);
  return view;
}

std::size_t MixedBuffer::discard(std::size_t n) noexcept {
  settle();
  n = std::min(n, buffered());
  const std::size_t from_ring = ring_.discard(n);
  list_.discard(n - from_ring);
  return n;
}

std::size_t MixedBuffer::read(std::span<char> dst) noexcept {
  settle();
  const std::size_t n = peek_into(dst);
  const std::size_t from_ring = ring_.discard(n);
  list_.discard(n - from_ring);
  return n;
}

std::size_t MixedBuffer::peek_into(std::span<char> dst) const noexcept {
  const std::size_t from_ring = ring_.peek_into(dst);
  return from_ring + list_.peek_into(dst.subspan(from_ring));
}

void MixedBuffer::clear() noexcept {
  settle();
  ring_.clear();
  list_.clear();
}

std::size_t MixedBuffer::readable_iovecs(std::span<iovec> out) const noexcept {
  const std::size_t count = ring_.readable_iovecs(out);
  // Stop where the ring's entries ran out of room, or the list's bytes would skip some.
  if (count == out.size()) return count;
  return count + list_.readable_iovecs(out.subspan(count));
}

void MixedBuffer::settle() noexcept {
  pool_->release(scratch_, scratch_size_);
  scratch_ = nullptr;
  scratch_size_ = 0;
  ring_.trim();
  list_.trim();
}

std::string_view MixedBuffer::copy_to_scratch(std::size_t n) noexcept {
  char* block = pool_->acquire(n);
  if (block == nullptr) return {};
  peek_into({block, n});
  scratch_ = block;
  scratch_size_ = BufferPool::block_size(n);
  return {block, n};
}

}  // namespace actnet::io
