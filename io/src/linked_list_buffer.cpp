#include "actnet/io/linked_list_buffer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "actnet/io/buffer_pool.hpp"

namespace actnet::io {

// Lives at the start of its own pool block; the bytes follow it.
struct LinkedListBuffer::Chunk {
  Chunk* next;
  std::uint32_t begin;  // first unread byte
  std::uint32_t end;    // one past the last written byte

  char* data() noexcept { return reinterpret_cast<char*>(this) + sizeof(Chunk); }
  std::size_t readable() const noexcept { return end - begin; }
};

LinkedListBuffer::LinkedListBuffer(BufferPool& pool, std::size_t chunk_size,
                                   std::size_t max_bytes) noexcept
    : pool_(&pool),
      chunk_size_(std::bit_ceil(std::clamp(chunk_size, kMinChunkSize, kMaxChunkSize))),
      max_bytes_(max_bytes) {}

LinkedListBuffer::LinkedListBuffer(LinkedListBuffer&& other) noexcept
    : pool_(other.pool_),
      chunk_size_(other.chunk_size_),
      max_bytes_(other.max_bytes_),
      head_(std::exchange(other.head_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      chunks_(std::exchange(other.chunks_, 0)),
      parked_(std::exchange(other.parked_, nullptr)),
      parked_size_(std::exchange(other.parked_size_, 0)) {}

LinkedListBuffer& LinkedListBuffer::operator=(LinkedListBuffer&& other) noexcept {
  if (this != &other) {
    clear();
    pool_ = other.pool_;
    chunk_size_ = other.chunk_size_;
    max_bytes_ = other.max_bytes_;
    head_ = std::exchange(other.head_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    size_ = std::exchange(other.size_, 0);
    chunks_ = std::exchange(other.chunks_, 0);
    parked_ = std::exchange(other.parked_, nullptr);
    parked_size_ = std::exchange(other.parked_size_, 0);
  }
  return *this;
}

LinkedListBuffer::~LinkedListBuffer() {
  clear();
}

std::size_t LinkedListBuffer::chunk_payload() const noexcept {
  return chunk_size_ - sizeof(Chunk);
}

std::size_t LinkedListBuffer::write(std::string_view bytes) noexcept {
  settle();
  const std::size_t n = std::min(bytes.size(), available());
  const std::size_t payload = chunk_payload();
  std::size_t done = 0;
  while (done < n) {
    if (tail_ == nullptr || tail_->end == payload) {
      if (new_chunk() == nullptr) break;
    }
    const std::size_t take = std::min(n - done, payload - tail_->end);
    std::memcpy(tail_->data() + tail_->end, bytes.data() + done, take);
    tail_->end += static_cast<std::uint32_t>(take);
    done += take;
  }
  size_ += done;
  return done;
}

std::string_view LinkedListBuffer::peek(std::size_t n) noexcept {
  settle();
  n = std::min(n, size_);
  if (n == 0) return {};
  if (head_->readable() >= n) return {head_->data() + head_->begin, n};
  char* scratch = pool_->acquire(n);
  if (scratch == nullptr) return {head_->data() + head_->begin, head_->readable()};
  peek_into({scratch, n});
  park(scratch, n);
  return {scratch, n};
}

std::string_view LinkedListBuffer::next(std::size_t n) noexcept {
  settle();
  n = std::min(n, size_);
  if (n == 0) return {};
  if (head_->readable() < n) {
    if (char* scratch = pool_->acquire(n)) {
      peek_into({scratch, n});
      park(scratch, n);
      drop(n);
      return {scratch, n};
    }
    n = head_->readable();  // the heap refused the scratch block: hand out the first chunk
  }
  Chunk* front = head_;
  const std::string_view view{front->data() + front->begin, n};
  front->begin += static_cast<std::uint32_t>(n);
  size_ -= n;
  if (front->readable() == 0) {
    // Unlink it but keep it until the next call: the view points into it.
    head_ = front->next;
    if (head_ == nullptr) tail_ = nullptr;
    --chunks_;
    park(reinterpret_cast<char*>(front), chunk_size_);
  }
  return view;
}

std::size_t LinkedListBuffer::discard(std::size_t n) noexcept {
  settle();
  n = std::min(n, size_);
  drop(n);
  return n;
}

std::size_t LinkedListBuffer::read(std::span<char> dst) noexcept {
  settle();
  const std::size_t n = peek_into(dst);
  drop(n);
  return n;
}

std::size_t LinkedListBuffer::peek_into(std::span<char> dst) const noexcept {
  const std::size_t n = std::min(dst.size(), size_);
  std::size_t done = 0;
  for (Chunk* c = head_; done < n; c = c->next) {
    const std::size_t take = std::min(n - done, c->readable());
    std::memcpy(dst.data() + done, c->data() + c->begin, take);
    done += take;
  }
  return n;
}

void LinkedListBuffer::clear() noexcept {
  settle();
  while (head_ != nullptr)
    pop_front();
  size_ = 0;
}

std::size_t LinkedListBuffer::readable_iovecs(std::span<iovec> out) const noexcept {
  std::size_t count = 0;
  for (Chunk* c = head_; c != nullptr && count < out.size(); c = c->next) {
    out[count++] = iovec{c->data() + c->begin, c->readable()};
  }
  return count;
}

LinkedListBuffer::Chunk* LinkedListBuffer::new_chunk() noexcept {
  char* block = pool_->acquire(chunk_size_);
  if (block == nullptr) return nullptr;
  Chunk* chunk = ::new (block) Chunk{nullptr, 0, 0};
  (tail_ != nullptr ? tail_->next : head_) = chunk;
  tail_ = chunk;
  ++chunks_;
  return chunk;
}

void LinkedListBuffer::pop_front() noexcept {
  Chunk* front = head_;
  head_ = front->next;
  if (head_ == nullptr) tail_ = nullptr;
  --chunks_;
  pool_->release(reinterpret_cast<char*>(front), chunk_size_);
}

// Consumes n <= size_ bytes, giving back every chunk it empties.
void LinkedListBuffer::drop(std::size_t n) noexcept {
  size_ -= n;
  while (n > 0) {
    const std::size_t take = std::min(n, head_->readable());
    head_->begin += static_cast<std::uint32_t>(take);
    n -= take;
    if (head_->readable() == 0) pop_front();
  }
}

void LinkedListBuffer::settle() noexcept {
  if (parked_ == nullptr) return;
  pool_->release(parked_, parked_size_);
  parked_ = nullptr;
  parked_size_ = 0;
}

void LinkedListBuffer::park(char* block, std::size_t size) noexcept {
  parked_ = block;
  parked_size_ = BufferPool::block_size(size);
}

}  // namespace actnet::io
