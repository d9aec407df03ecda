// Fuzzes the buffers: the input picks the caps and chunk size, then is read as a sequence of
// operations (write, peek, next, discard, read, peek_into, writev-style export + partial
// discard, readv-style reserve + partial commit, drain, clear) applied to a RingBuffer, an
// ElasticRingBuffer, a LinkedListBuffer and a MixedBuffer, each next to a std::deque model
// (tests/io/buffer_model.hpp). Any mismatch in a size or a byte aborts. Half the inputs run
// with a pool that keeps nothing, so a block given back early is really freed and ASan sees
// any later use of it; the other half keep blocks (poisoned while kept).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/elastic_ring_buffer.hpp"
#include "actnet/io/linked_list_buffer.hpp"
#include "actnet/io/mixed_buffer.hpp"
#include "actnet/io/ring_buffer.hpp"
#include "io/buffer_model.hpp"

namespace {

using namespace actnet::io;

template <class Buffer>
void drive(const char* name, Buffer& buffer, const std::uint8_t* data, std::size_t size,
           buffer_model::Config config) {
  buffer_model::BufferModel model(buffer, buffer_model::ByteSource(data, size), config);
  if (!model.run(SIZE_MAX)) {
    std::fprintf(stderr, "buffer_fuzz: %s: %s\n", name, model.failure().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::size_t ring_cap = std::size_t{16} << (data[0] % 7);  // 16 .. 1024
  const std::size_t chunk = std::size_t{64} << (data[1] % 4);     // 64 .. 512
  const std::size_t max_bytes = data[2] % 2 ? 3 * ring_cap + 100 : LinkedListBuffer::kUnlimited;
  const bool keep_blocks = data[3] % 2;
  data += 4;
  size -= 4;
  const std::size_t max_write = 2 * ring_cap + 50;
  const std::size_t soft = 4 * ring_cap;
  {
    BufferPool pool(keep_blocks ? BufferPool::kDefaultMaxKeptBytes : 0);
    {
      RingBuffer ring(ring_cap, &pool);
      drive("RingBuffer", ring, data, size, {ring_cap, ring_cap, max_write, false});
      ElasticRingBuffer elastic(pool, ring_cap);
      drive("ElasticRingBuffer", elastic, data, size, {ring_cap, ring_cap, max_write, true});
      LinkedListBuffer list(pool, chunk, max_bytes);
      drive("LinkedListBuffer", list, data, size, {max_bytes, soft, max_write, true});
      MixedBuffer mixed(pool, ring_cap, chunk, max_bytes);
      drive("MixedBuffer", mixed, data, size, {max_bytes, soft, max_write, true});
    }
    if (pool.stats().outstanding_blocks != 0) {
      std::fprintf(stderr, "buffer_fuzz: %zu blocks not given back to the pool\n",
                   pool.stats().outstanding_blocks);
      std::abort();
    }
    if (pool.stats().kept_bytes > pool.max_kept_bytes()) {
      std::fprintf(stderr, "buffer_fuzz: the pool keeps more than its bound\n");
      std::abort();
    }
  }
  return 0;
}
