#include "actnet/io/buffer_pool.hpp"

#include <cassert>
#include <new>

#include "actnet/io/sanitizers.hpp"

#if defined(ACTNET_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace actnet::io {

namespace {

// A kept block is poisoned (past its free-list link) under ASan, so a view a user kept into
// a buffer's storage after the buffer gave it back is reported like a use-after-free
// instead of silently reading whatever the next owner wrote.
void poison(char* block, std::size_t size) noexcept {
#if defined(ACTNET_ASAN)
  ASAN_POISON_MEMORY_REGION(block + sizeof(void*), size - sizeof(void*));
#else
  (void)block, (void)size;
#endif
}

void unpoison(char* block, std::size_t size) noexcept {
#if defined(ACTNET_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(block, size);
#else
  (void)block, (void)size;
#endif
}

}  // namespace

BufferPool::~BufferPool() {
  // A block still out means a buffer outlived its pool: its destructor will free into a
  // dead pool. That is a bug in the owner's declaration order.
  assert(stats_.outstanding_blocks == 0);
  trim();
}

char* BufferPool::acquire(std::size_t n) noexcept {
  assert(n <= kMaxBlock);
  const std::size_t size = block_size(n);
  const auto cls = static_cast<unsigned>(std::countr_zero(size));
  ++stats_.acquires;
  char* block = nullptr;
  if (FreeBlock* kept = free_[cls]) {
    free_[cls] = kept->next;
    block = reinterpret_cast<char*>(kept);
    unpoison(block, size);
    stats_.kept_bytes -= size;
    --stats_.kept_blocks;
    ++stats_.hits;
  } else {
    block = static_cast<char*>(::operator new(size, std::nothrow));
    if (block == nullptr) {
      ++stats_.heap_failures;
      return nullptr;
    }
    ++stats_.heap_allocations;
  }
  stats_.outstanding_bytes += size;
  ++stats_.outstanding_blocks;
  return block;
}

void BufferPool::release(char* block, std::size_t n) noexcept {
  if (block == nullptr) return;
  const std::size_t size = block_size(n);
  assert(stats_.outstanding_bytes >= size && stats_.outstanding_blocks > 0);
  stats_.outstanding_bytes -= size;
  --stats_.outstanding_blocks;
  if (stats_.kept_bytes + size > max_kept_bytes_) {
    ::operator delete(block);
    ++stats_.heap_frees;
    return;
  }
  const auto cls = static_cast<unsigned>(std::countr_zero(size));
  free_[cls] = ::new (block) FreeBlock{free_[cls]};
  poison(block, size);
  stats_.kept_bytes += size;
  ++stats_.kept_blocks;
}

void BufferPool::trim() noexcept {
  for (std::size_t cls = 0; cls < kClasses; ++cls) {
    const std::size_t size = std::size_t{1} << cls;
    while (FreeBlock* kept = free_[cls]) {
      free_[cls] = kept->next;
      unpoison(reinterpret_cast<char*>(kept), size);
      ::operator delete(kept);
      ++stats_.heap_frees;
    }
  }
  stats_.kept_bytes = 0;
  stats_.kept_blocks = 0;
}

}  // namespace actnet::io
