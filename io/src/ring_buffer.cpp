#include "actnet/io/ring_buffer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "actnet/io/buffer_pool.hpp"

namespace actnet::io {

namespace {

std::size_t round_cap(std::size_t n) noexcept {
  return std::bit_ceil(std::clamp(n, RingBuffer::kMinCapacity, RingBuffer::kMaxCapacity));
}

}  // namespace

RingBuffer::RingBuffer(std::size_t max_capacity, BufferPool* pool) noexcept
    : pool_(pool), max_capacity_(round_cap(max_capacity)) {}

RingBuffer::RingBuffer(RingBuffer&& other) noexcept
    : pool_(other.pool_),
      data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      max_capacity_(other.max_capacity_),
      read_(std::exchange(other.read_, 0)),
      write_(std::exchange(other.write_, 0)) {}

RingBuffer& RingBuffer::operator=(RingBuffer&& other) noexcept {
  if (this != &other) {
    deallocate(data_, capacity_);
    pool_ = other.pool_;
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    max_capacity_ = other.max_capacity_;
    read_ = std::exchange(other.read_, 0);
    write_ = std::exchange(other.write_, 0);
  }
  return *this;
}

RingBuffer::~RingBuffer() {
  deallocate(data_, capacity_);
}

char* RingBuffer::allocate(std::size_t n) noexcept {
  if (pool_ != nullptr) return pool_->acquire(n);
  return static_cast<char*>(::operator new(n, std::nothrow));
}

void RingBuffer::deallocate(char* block, std::size_t n) noexcept {
  if (block == nullptr) return;
  if (pool_ != nullptr) {
    pool_->release(block, n);
  } else {
    ::operator delete(block);
  }
}

std::size_t RingBuffer::write(std::string_view bytes) noexcept {
  rewind_if_empty();
  if (bytes.size() > free_space()) grow_for(bytes.size());
  const std::size_t n = std::min(bytes.size(), free_space());
  copy_in(bytes.data(), n);
  return n;
}

std::size_t RingBuffer::read(std::span<char> dst) noexcept {
  const std::size_t n = peek_into(dst);
  consume(n);
  return n;
}

std::size_t RingBuffer::peek_into(std::span<char> dst) const noexcept {
  const std::size_t n = std::min(dst.size(), buffered());
  copy_out(dst.data(), n);
  return n;
}

void RingBuffer::clear() noexcept {
  read_ = write_ = 0;
}

std::size_t RingBuffer::readable_iovecs(std::span<iovec> out) const noexcept {
  const std::size_t size = buffered();
  if (size == 0 || out.empty()) return 0;
  const std::size_t first = std::min(size, capacity_ - head());
  out[0] = iovec{data_ + head(), first};
  if (first == size || out.size() < 2) return 1;
  out[1] = iovec{data_, size - first};
  return 2;
}

std::size_t RingBuffer::reserve(std::size_t n) noexcept {
  rewind_if_empty();
  n = std::min(n, available());
  if (n > free_space()) grow_for(n);
  // A small leftover (typically the start of a frame) that wraps, or that leaves too short a
  // run before the end for the coming read, would make a frame wrap, and linearizing it
  // later moves up to a whole block (a rotate when the ring is full). Moving the leftover
  // to the front now costs at most capacity_ / kStraightenFraction bytes.
  const std::size_t size = buffered();
  if (head() != 0 && size <= capacity_ / kStraightenFraction &&
      (head() + size > capacity_ || n > capacity_ - head() - size)) {
    straighten();
  }
  return free_space();
}

std::size_t RingBuffer::writable_iovecs(std::span<iovec> out) noexcept {
  rewind_if_empty();
  const std::size_t free = free_space();
  if (free == 0 || out.empty()) return 0;
  const std::size_t at = tail();
  const std::size_t first = std::min(free, capacity_ - at);
  out[0] = iovec{data_ + at, first};
  if (first == free || out.size() < 2) return 1;
  out[1] = iovec{data_, free - first};
  return 2;
}

void RingBuffer::commit_write(std::size_t k) noexcept {
  write_ += std::min(k, free_space());
}

bool RingBuffer::release_storage() noexcept {
  if (!empty()) return false;
  deallocate(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
  read_ = write_ = 0;
  return true;
}

bool RingBuffer::shrink_to_fit() noexcept {
  const std::size_t size = buffered();
  if (size == 0 || size > capacity_ / kShrinkFraction) return false;
  const std::size_t cap = std::max(std::bit_ceil(2 * size), kMinCapacity);
  if (cap >= capacity_) return false;
  char* block = allocate(cap);
  if (block == nullptr) return false;  // keeping the large block is still correct
  relocate(block, cap);
  return true;
}

// Makes free_space() >= extra if the cap and the heap allow: the next power of two that
// holds buffered() + extra (at least double the current block: capacity_ is a power of two).
bool RingBuffer::grow_for(std::size_t extra) noexcept {
  const std::size_t want = buffered() + std::min(extra, available());
  if (want <= capacity_) return true;
  const std::size_t cap = std::max(std::bit_ceil(want), kMinCapacity);
  char* block = allocate(cap);
  if (block == nullptr) return false;
  relocate(block, cap);
  return true;
}

// Moves the readable bytes to the front of `block` and makes it the ring's storage.
void RingBuffer::relocate(char* block, std::size_t capacity) noexcept {
  copy_out(block, buffered());
  deallocate(data_, capacity_);
  data_ = block;
  capacity_ = capacity;
  set_head(0);
}

// Moves the readable bytes to offset 0.
void RingBuffer::straighten() noexcept {
  if (head() + buffered() > capacity_) linearize();
  std::memmove(data_, data_ + head(), buffered());
  set_head(0);
}

// The readable bytes are A = [head, capacity_) followed by B = [0, b), with f free bytes
// between them. Afterwards they are contiguous from head(), in order, without allocating.
void RingBuffer::linearize() noexcept {
  const std::size_t head = this->head();
  const std::size_t a = capacity_ - head;
  const std::size_t b = buffered() - a;
  const std::size_t f = capacity_ - buffered();
  if (a <= f) {
    // B slides right to [a, a + b), which ends before A starts (2a + b <= capacity); A then
    // goes to the front.
    std::memmove(data_ + a, data_, b);
    std::memcpy(data_, data_ + head, a);
    set_head(0);
  } else if (b <= f) {
    // A slides left to [f, f + a), clear of B (f >= b); B then follows it at the end.
    std::memmove(data_ + f, data_ + head, a);
    std::memcpy(data_ + f + a, data_, b);
    set_head(f);
  } else {
    // Nearly full: neither piece fits in the gap. Put B just before A (B|A is contiguous
    // in [f, capacity_)) and rotate that range into A|B.
    std::memmove(data_ + f, data_, b);
    std::rotate(data_ + f, data_ + f + b, data_ + capacity_);
    set_head(f);
  }
}

void RingBuffer::copy_in(const char* src, std::size_t n) noexcept {
  if (n == 0) return;
  const std::size_t at = tail();
  const std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(data_ + at, src, first);
  std::memcpy(data_, src + first, n - first);
  write_ += n;
}

void RingBuffer::copy_out(char* dst, std::size_t n) const noexcept {
  if (n == 0) return;
  const std::size_t first = std::min(n, capacity_ - head());
  std::memcpy(dst, data_ + head(), first);
  std::memcpy(dst + first, data_, n - first);
}

}  // namespace actnet::io
