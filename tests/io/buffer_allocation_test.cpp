// Counts every global operator new/delete in this binary, to show what the buffers cost the
// heap: nothing for an idle connection, nothing per read or write once the loop's pool is
// warm.

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "counting_new.hpp"

#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/elastic_ring_buffer.hpp"
#include "actnet/io/linked_list_buffer.hpp"
#include "actnet/io/mixed_buffer.hpp"
#include "actnet/io/ring_buffer.hpp"
#include "actnet/io/unique_fd.hpp"

namespace {

std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_allocated_bytes{0};

struct HeapCount {
  std::size_t allocations = g_allocations.load();
  std::size_t bytes = g_allocated_bytes.load();
  std::size_t allocations_since() const { return g_allocations.load() - allocations; }
  std::size_t bytes_since() const { return g_allocated_bytes.load() - bytes; }
};

}  // namespace

// Every allocation counts here (tests/counting_new.hpp replaces operator new).
void note_allocation(std::size_t bytes) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_allocated_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

using actnet::io::BufferPool;
using actnet::io::ElasticRingBuffer;
using actnet::io::LinkedListBuffer;
using actnet::io::MixedBuffer;
using actnet::io::RingBuffer;
using actnet::io::UniqueFd;

namespace {

// A connection's two buffers as the engine holds them: inbound elastic ring (read cap),
// outbound mixed buffer (ring up to the write cap, then the list).
struct ConnBuffers {
  ElasticRingBuffer in;
  MixedBuffer out;
  explicit ConnBuffers(BufferPool& pool) : in(pool, 64 * 1024), out(pool, 16 * 1024, 4096) {}
  std::size_t heap_bytes() const { return in.heap_bytes() + out.heap_bytes(); }
};

// One turn of an echo-like connection: readv what the peer sent into the inbound ring, take
// whole frames out, queue replies (more than the write cap now and then, so the list is
// used), writev part of them as a slow peer would, then drain.
struct Turn {
  int rd, wr;
  std::array<iovec, 64> iov{};
  std::string request;
  std::string reply;
  std::array<char, 65536> sink{};

  Turn(int r, int w) : rd(r), wr(w), request(3000, 'r'), reply(20000, 'R') {}

  bool run(ConnBuffers& c, int i) {
    if (::write(wr, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      return false;
    }
    c.in.reserve(4096);
    const std::size_t n = c.in.writable_iovecs(iov);
    const ssize_t got = ::readv(rd, iov.data(), static_cast<int>(n));
    c.in.commit_write(got > 0 ? static_cast<std::size_t>(got) : 0);
    while (c.in.buffered() >= 512) {
      const std::string_view frame = c.in.next(512);
      if (frame.size() != 512) return false;
      c.out.write(frame);
    }
    if (c.in.peek(c.in.buffered()).size() != c.in.buffered()) return false;  // partial frame
    c.in.discard(c.in.buffered());
    c.out.write(std::string_view(reply).substr(0, (i % 4 == 0) ? reply.size() : 700));
    // A partial writev: the peer takes 3000 bytes.
    const std::size_t count = c.out.readable_iovecs(iov);
    std::size_t exported = 0;
    for (std::size_t k = 0; k < count; ++k)
      exported += iov[k].iov_len;
    c.out.discard(std::min<std::size_t>(exported, 3000));
    if (c.out.peek(10).size() != std::min<std::size_t>(10, c.out.buffered())) return false;
    c.out.discard(c.out.buffered());
    c.out.trim();
    c.in.trim();
    return true;
  }
};

}  // namespace

TEST_CASE("An idle connection's buffers hold no heap memory when new and after being drained",
          "[buffer_allocation]") {
  BufferPool pool;
  const HeapCount before;
  std::vector<ConnBuffers> conns;
  conns.reserve(1000);
  const std::size_t vector_allocations = before.allocations_since();
  const HeapCount constructed;
  for (int i = 0; i < 1000; ++i)
    conns.emplace_back(pool);
  const std::size_t construct_allocations = constructed.allocations_since();
  CHECK(vector_allocations == 1);
  CHECK(construct_allocations == 0);
  std::size_t held = 0;
  for (const ConnBuffers& c : conns)
    held += c.heap_bytes();
  CHECK(held == 0);
  CHECK(pool.stats().outstanding_bytes == 0);

  // Each connection gets traffic once, then is drained and sits idle again.
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  Turn turn(rd.get(), wr.get());
  for (std::size_t i = 0; i < conns.size(); ++i)
    REQUIRE(turn.run(conns[i], static_cast<int>(i)));
  held = 0;
  for (const ConnBuffers& c : conns)
    held += c.heap_bytes();
  CHECK(held == 0);
  CHECK(pool.stats().outstanding_bytes == 0);
  // What the loop keeps for the next burst is bounded by the pool, not by connections.
  CHECK(pool.stats().kept_bytes <= pool.max_kept_bytes());
}

TEST_CASE("Steady-state write and read cycles through a warmed pool allocate nothing",
          "[buffer_allocation]") {
  BufferPool pool;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  std::vector<ConnBuffers> conns;
  for (int i = 0; i < 16; ++i)
    conns.emplace_back(pool);
  Turn turn(rd.get(), wr.get());

  for (int i = 0; i < 200; ++i)
    REQUIRE(turn.run(conns[i % conns.size()], i));  // warm-up
  const auto misses = pool.stats().heap_allocations;

  const HeapCount steady;
  bool ok = true;
  for (int i = 0; i < 20000; ++i)
    ok = turn.run(conns[i % conns.size()], i) && ok;
  const std::size_t allocations = steady.allocations_since();
  const std::size_t bytes = steady.bytes_since();
  REQUIRE(ok);
  CHECK(allocations == 0);
  CHECK(bytes == 0);
  CHECK(pool.stats().heap_allocations == misses);
  CHECK(pool.stats().hits > 20000);
}

TEST_CASE("A plain ring and a list in steady state allocate nothing after the first cycle",
          "[buffer_allocation]") {
  BufferPool pool;
  RingBuffer ring(8192);  // no pool: keeps its own block when drained
  LinkedListBuffer list(pool, 1024);
  const std::string payload(5000, 'p');
  std::array<char, 5000> dst{};
  auto cycle = [&] {
    ring.write(payload);
    ring.peek(4000);
    ring.read(dst);
    list.write(payload);
    list.peek(3000);
    list.next(2000);
    list.read(dst);
  };
  cycle();
  const HeapCount steady;
  for (int i = 0; i < 10000; ++i)
    cycle();
  const std::size_t allocations = steady.allocations_since();
  CHECK(allocations == 0);
}

TEST_CASE("A pool keeps at most its bound and gives the rest back to the heap",
          "[buffer_allocation]") {
  BufferPool pool(4096);
  std::vector<char*> blocks;
  blocks.reserve(10);
  const HeapCount before;
  for (int i = 0; i < 10; ++i)
    blocks.push_back(pool.acquire(1000));  // 1024-byte blocks
  CHECK(before.allocations_since() == 10);
  CHECK(before.bytes_since() == 10 * 1024);
  for (char* b : blocks)
    pool.release(b, 1000);
  CHECK(pool.stats().kept_bytes == 4096);
  CHECK(pool.stats().kept_blocks == 4);
  CHECK(pool.stats().heap_frees == 6);
  CHECK(pool.stats().outstanding_blocks == 0);
  pool.trim();
  CHECK(pool.stats().kept_bytes == 0);
}

TEST_CASE("A pool serves a kept block of the same power of two and asks the heap for others",
          "[buffer_allocation]") {
  BufferPool pool;
  char* a = pool.acquire(100);  // a 128-byte block
  pool.release(a, 100);
  const HeapCount before;
  char* b = pool.acquire(128);
  CHECK(b == a);  // same class: the kept block, no heap call
  CHECK(before.allocations_since() == 0);
  char* c = pool.acquire(129);  // the next class: the heap
  CHECK(before.allocations_since() == 1);
  CHECK(before.bytes_since() == 256);
  CHECK(pool.stats().hits == 1);
  CHECK(pool.stats().outstanding_bytes == 128 + 256);
  pool.release(b, 128);
  pool.release(c, 129);
  CHECK(pool.stats().kept_bytes == 128 + 256);
  CHECK(BufferPool::block_size(1) == BufferPool::kMinBlock);
  CHECK(BufferPool::block_size(4097) == 8192);
}
