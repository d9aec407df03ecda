#include "actnet/io/elastic_ring_buffer.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>

#include <catch2/catch.hpp>

#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/unique_fd.hpp"
#include "io/buffer_model.hpp"

using actnet::io::BufferPool;
using actnet::io::ElasticRingBuffer;
using actnet::io::UniqueFd;

static_assert(std::is_nothrow_move_constructible_v<ElasticRingBuffer>);
static_assert(!std::is_copy_constructible_v<ElasticRingBuffer>);

TEST_CASE("A new elastic ring holds no heap memory and takes none from the pool",
          "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 64 * 1024);
  CHECK(ring.heap_bytes() == 0);
  CHECK(ring.capacity() == 0);
  CHECK(ring.available() == 64 * 1024);
  CHECK(ring.peek(10).empty());
  CHECK(ring.discard(10) == 0);
  CHECK(ring.write("") == 0);
  CHECK(ring.heap_bytes() == 0);
  CHECK(pool.stats().acquires == 0);
}

TEST_CASE("Draining an elastic ring by discard read or clear gives its block back to the pool",
          "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 4096);
  std::array<char, 64> dst{};

  REQUIRE(ring.write("abcdef") == 6);
  CHECK(ring.heap_bytes() == 16);
  CHECK(pool.stats().outstanding_bytes == 16);
  CHECK(ring.discard(5) == 5);
  CHECK(ring.heap_bytes() == 16);  // one byte left: keeps it
  CHECK(ring.discard(1) == 1);
  CHECK(ring.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_bytes == 0);
  CHECK(pool.stats().kept_bytes == 16);

  REQUIRE(ring.write("abcdef") == 6);
  CHECK(pool.stats().heap_allocations == 1);  // the same block, from the pool
  CHECK(ring.read(dst) == 6);
  CHECK(ring.heap_bytes() == 0);

  REQUIRE(ring.write("abcdef") == 6);
  ring.clear();
  CHECK(ring.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);
}

TEST_CASE("A next that drains the elastic ring keeps its view valid until the next call",
          "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 4096);
  REQUIRE(ring.write("message") == 7);
  const std::string_view view = ring.next(100);
  CHECK(ring.empty());
  CHECK(ring.heap_bytes() == 16);  // still held: the view points into it
  CHECK(view == "message");        // (ASan would flag this if the block were in the pool)
  SECTION("trim gives it back") {
    ring.trim();
    CHECK(ring.heap_bytes() == 0);
  }
  SECTION("the next call gives it back") {
    CHECK(ring.peek(1).empty());
    CHECK(ring.heap_bytes() == 0);
  }
  SECTION("a write reuses it") {
    REQUIRE(ring.write("again") == 5);
    CHECK(ring.heap_bytes() == 16);
    CHECK(pool.stats().acquires == 1);
  }
  CHECK(pool.stats().outstanding_blocks == (ring.empty() ? 0u : 1u));
}

TEST_CASE(
    "An elastic ring reads a socket with one readv and gives the block back when a read "
    "brings nothing",
    "[elastic_ring_buffer]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  BufferPool pool;
  ElasticRingBuffer ring(pool, 64 * 1024);

  const std::string input(3000, 'q');
  REQUIRE(::write(wr.get(), input.data(), input.size()) == 3000);
  CHECK(ring.reserve(4096) == 4096);
  std::array<iovec, 2> iov{};
  REQUIRE(ring.writable_iovecs(iov) == 1);
  ssize_t got = ::readv(rd.get(), iov.data(), 1);
  REQUIRE(got == 3000);
  ring.commit_write(static_cast<std::size_t>(got));
  CHECK(ring.peek(3000) == input);
  CHECK(ring.discard(3000) == 3000);
  CHECK(ring.heap_bytes() == 0);

  // EAGAIN: nothing came, commit_write(0) hands the reserved block back.
  CHECK(ring.reserve(4096) == 4096);
  REQUIRE(ring.writable_iovecs(iov) == 1);
  got = ::readv(rd.get(), iov.data(), 1);
  CHECK(got == -1);
  ring.commit_write(0);
  CHECK(ring.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);
  CHECK(pool.stats().heap_allocations == 1);
}

TEST_CASE("Trimming an elastic ring that keeps the start of a frame moves it to a small block",
          "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 64 * 1024);
  // A large read brought three whole frames and the first 100 bytes of a fourth.
  CHECK(ring.reserve(64 * 1024) == 64 * 1024);
  const std::string input = std::string(3 * 4096, 'f') + std::string(100, 'p');
  REQUIRE(ring.write(input) == input.size());
  CHECK(ring.next(3 * 4096).size() == 3 * 4096);
  ring.trim();
  CHECK(ring.buffered() == 100);
  CHECK(ring.heap_bytes() == 256);  // the smallest power of two holding twice the remainder
  CHECK(pool.stats().outstanding_bytes == 256);
  CHECK(pool.stats().kept_bytes == 64 * 1024);  // the large block is back for the next read
  CHECK(ring.peek(100) == std::string(100, 'p'));

  // The rest of the frame arrives: the next reserve takes the large block again.
  CHECK(ring.reserve(64 * 1024) == 64 * 1024 - 100);
  REQUIRE(ring.write(std::string(3996, 'p')) == 3996);
  CHECK(ring.next(4096) == std::string(4096, 'p'));
  ring.trim();
  CHECK(ring.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);
}

TEST_CASE("Trimming an elastic ring keeps a remainder over an eighth of its block in place",
          "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 64 * 1024);
  CHECK(ring.reserve(64 * 1024) == 64 * 1024);
  REQUIRE(ring.write(std::string(20000, 'x')) == 20000);
  CHECK(ring.discard(10000) == 10000);
  ring.trim();  // 10,000 bytes of 65,536: moving them would cost more than it saves
  CHECK(ring.heap_bytes() == 64 * 1024);
  CHECK(ring.peek(10000) == std::string(10000, 'x'));
}

TEST_CASE("An elastic ring grows to its read cap and no further", "[elastic_ring_buffer]") {
  BufferPool pool;
  ElasticRingBuffer ring(pool, 1024);
  std::string big(5000, 'w');
  CHECK(ring.write(big) == 1024);
  CHECK(ring.capacity() == 1024);
  CHECK(ring.available() == 0);
  CHECK(ring.write("x") == 0);
  CHECK(ring.reserve(10) == 0);
  CHECK(ring.discard(1024) == 1024);
  CHECK(ring.heap_bytes() == 0);
  // One block straight at the size the write needed, now kept for the next connection.
  CHECK(pool.stats().heap_allocations == 1);
  CHECK(pool.stats().kept_bytes == 1024);
}

TEST_CASE("An elastic ring matches a deque model over millions of random operations",
          "[elastic_ring_buffer]") {
  const std::uint64_t seed = buffer_model::seed_for("elastic ring model", 0x454c4153);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ops = 0, bytes = 0;
  const std::size_t caps[] = {16, 128, 1024, 65536};
  BufferPool pool(64 * 1024);
  for (const std::size_t cap : caps) {
    {
      ElasticRingBuffer ring(pool, cap);
      buffer_model::BufferModel model(ring, buffer_model::RandomSource(seed + cap),
                                      {cap, cap, std::min<std::size_t>(2 * cap + 7, 9000), true});
      INFO("cap " << cap);
      std::uint64_t wrapped = 0;
      const bool ok =
          model.run(1'000'000 / buffer_model::kOpScale, [&](const ElasticRingBuffer& r) {
            std::array<iovec, 2> iov;
            wrapped += r.readable_iovecs(iov) == 2;
          });
      INFO(model.failure());
      REQUIRE(ok);
      ops += model.ops();
      bytes += model.bytes_through();
      CHECK(model.drains() > 1000 / buffer_model::kOpScale);
      CHECK(model.peak() == cap);
      CHECK(wrapped > 1000 / buffer_model::kOpScale);
    }
    CHECK(pool.stats().outstanding_blocks == 0);
    CHECK(pool.stats().kept_bytes <= pool.max_kept_bytes());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("elastic ring model: %llu ops, %llu bytes through, %.2f s\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(bytes), s);
}
