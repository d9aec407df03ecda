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
      head_(std::exchange(other.head_, 0)),
      size_(std::exchange(other.size_, 0)) {}

RingBuffer& RingBuffer::operator=(RingBuffer&& other) noexcept {
  if (this != &other) {
    deallocate(data_, capacity_);
    pool_ = other.pool_;
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    max_capacity_ = other.max_capacity_;
    head_ = std::exchange(other.head_, 0);
    size_ = std::exchange(other.size_, 0);
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
  if (bytes.size() > free_space()) grow_for(bytes.size());
  const std::size_t n = std::min(bytes.size(), free_space());
  copy_in(bytes.data(), n);
  return n;
}

std::string_view RingBuffer::peek(std::size_t n) noexcept {
  n = std::min(n, size_);
  if (n == 0) return {};
  if (head_ + n > capacity_) linearize();
  return {data_ + head_, n};
}

std::string_view RingBuffer::next(std::size_t n) noexcept {
  const std::string_view view = peek(n);
  // consume() may move head_ but never touches the bytes, so the view stays good.
  consume(view.size());
  return view;
}

std::size_t RingBuffer::discard(std::size_t n) noexcept {
  n = std::min(n, size_);
  consume(n);
  return n;
}

std::size_t RingBuffer::read(std::span<char> dst) noexcept {
  const std::size_t n = peek_into(dst);
  consume(n);
  return n;
}

std::size_t RingBuffer::peek_into(std::span<char> dst) const noexcept {
  const std::size_t n = std::min(dst.size(), size_);
  copy_out(dst.data(), n);
  return n;
}

void RingBuffer::clear() noexcept {
  head_ = 0;
  size_ = 0;
}

std::size_t RingBuffer::readable_iovecs(std::span<iovec> out) const noexcept {
  if (size_ == 0 || out.empty()) return 0;
  const std::size_t first = std::min(size_, capacity_ - head_);
  out[0] = iovec{data_ + head_, first};
  if (first == size_ || out.size() < 2) return 1;
  out[1] = iovec{data_, size_ - first};
  return 2;
}

std::size_t RingBuffer::reserve(std::size_t n) noexcept {
  n = std::min(n, available());
  if (n > free_space()) grow_for(n);
  return free_space();
}

std::size_t RingBuffer::writable_iovecs(std::span<iovec> out) noexcept {
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
  size_ += std::min(k, free_space());
}

bool RingBuffer::release_storage() noexcept {
  if (size_ != 0) return false;
  deallocate(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
  head_ = 0;
  return true;
}

// Makes free_space() >= extra if the cap and the heap allow: the next power of two that
// holds size_ + extra (at least double the current block, as capacity_ is a power of two).
bool RingBuffer::grow_for(std::size_t extra) noexcept {
  const std::size_t want = size_ + std::min(extra, available());
  if (want <= capacity_) return true;
  const std::size_t cap = std::max(std::bit_ceil(want), kMinCapacity);
  char* block = allocate(cap);
  if (block == nullptr) return false;
  relocate(block, cap);
  return true;
}

// Moves the readable bytes to the front of `block` and makes it the ring's storage.
void RingBuffer::relocate(char* block, std::size_t capacity) noexcept {
  copy_out(block, size_);
  deallocate(data_, capacity_);
  data_ = block;
  capacity_ = capacity;
  head_ = 0;
}

// The readable bytes are A = [head_, capacity_) followed by B = [0, b), with f free bytes
// between them. Afterwards they are contiguous from head_, in order, without allocating.
void RingBuffer::linearize() noexcept {
  const std::size_t a = capacity_ - head_;
  const std::size_t b = size_ - a;
  const std::size_t f = capacity_ - size_;
  if (a <= f) {
    // B slides right to [a, a + b), which ends before A starts (2a + b <= capacity); A then
    // goes to the front.
    std::memmove(data_ + a, data_, b);
    std::memcpy(data_, data_ + head_, a);
    head_ = 0;
  } else if (b <= f) {
    // A slides left to [f, f + a), clear of B (f >= b); B then follows it at the end.
    std::memmove(data_ + f, data_ + head_, a);
    std::memcpy(data_ + f + a, data_, b);
    head_ = f;
  } else {
    // Nearly full: neither piece fits in the gap. Put B just before A (B|A is contiguous
    // in [f, capacity_)) and rotate that range into A|B.
    std::memmove(data_ + f, data_, b);
    std::rotate(data_ + f, data_ + f + b, data_ + capacity_);
    head_ = f;
  }
}

void RingBuffer::copy_in(const char* src, std::size_t n) noexcept {
  if (n == 0) return;
  const std::size_t at = tail();
  const std::size_t first = std::min(n, capacity_ - at);
  std::memcpy(data_ + at, src, first);
  std::memcpy(data_, src + first, n - first);
  size_ += n;
}

void RingBuffer::copy_out(char* dst, std::size_t n) const noexcept {
  if (n == 0) return;
  const std::size_t first = std::min(n, capacity_ - head_);
  std::memcpy(dst, data_ + head_, first);
  std::memcpy(dst + first, data_, n - first);
}

void RingBuffer::consume(std::size_t n) noexcept {
  size_ -= n;
  // An empty ring restarts at offset 0, so the next write and readv get one contiguous run.
  head_ = size_ == 0 ? 0 : (head_ + n) & mask();
}

}  // namespace actnet::io
