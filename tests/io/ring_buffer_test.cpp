#include "actnet/io/ring_buffer.hpp"

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
using actnet::io::RingBuffer;
using actnet::io::UniqueFd;

static_assert(std::is_nothrow_move_constructible_v<RingBuffer>);
static_assert(std::is_nothrow_move_assignable_v<RingBuffer>);
static_assert(!std::is_copy_constructible_v<RingBuffer>);

namespace {

std::string pattern(std::size_t n, char first = 'a') {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(first + i % 26);
  return s;
}

// Leaves `bytes` (non-empty) in the ring starting at offset `head`, wrapping if they pass the
// end. The first byte goes in before the filler is dropped, because an empty ring restarts
// at offset 0.
void place(RingBuffer& ring, std::size_t head, const std::string& bytes) {
  ring.clear();
  REQUIRE(ring.write(std::string(head, '#')) == head);
  REQUIRE(ring.write(bytes.substr(0, 1)) == 1);
  REQUIRE(ring.discard(head) == head);
  REQUIRE(ring.write(bytes.substr(1)) == bytes.size() - 1);
}

}  // namespace

TEST_CASE("A new ring holds no storage and grows by doubling up to its cap", "[ring_buffer]") {
  BufferPool pool;
  RingBuffer ring(1000, &pool);  // the cap rounds up to 1024
  CHECK(ring.capacity() == 0);
  CHECK(ring.heap_bytes() == 0);
  CHECK(ring.max_capacity() == 1024);
  CHECK(ring.available() == 1024);

  CHECK(ring.write("x") == 1);
  CHECK(ring.capacity() == RingBuffer::kMinCapacity);
  CHECK(ring.write(std::string(20, 'y')) == 20);
  CHECK(ring.capacity() == 32);
  CHECK(ring.write(std::string(100, 'z')) == 100);
  CHECK(ring.capacity() == 128);
  CHECK(ring.peek(3) == "xyy");
  CHECK(ring.heap_bytes() == 128);
  CHECK(pool.stats().outstanding_bytes == 128);
}

TEST_CASE("A write beyond the cap stores what fits and returns that count", "[ring_buffer]") {
  RingBuffer ring(64);
  const std::string big = pattern(100);
  CHECK(ring.write(big) == 64);
  CHECK(ring.buffered() == 64);
  CHECK(ring.available() == 0);
  CHECK(ring.capacity() == 64);
  CHECK(ring.write("more") == 0);
  CHECK(ring.peek(100) == big.substr(0, 64));
  CHECK(ring.discard(10) == 10);
  CHECK(ring.write(big) == 10);
  CHECK(ring.capacity() == 64);  // never beyond the cap
  CHECK(ring.reserve(1000) == 0);
}

TEST_CASE("peek next discard and read of more than is buffered act on what is buffered",
          "[ring_buffer]") {
  RingBuffer ring(64);
  REQUIRE(ring.write("hello") == 5);
  CHECK(ring.peek(100) == "hello");
  CHECK(ring.next(100) == "hello");
  CHECK(ring.empty());
  REQUIRE(ring.write("world") == 5);
  CHECK(ring.discard(100) == 5);
  REQUIRE(ring.write("again") == 5);
  std::array<char, 16> dst{};
  CHECK(ring.read(dst) == 5);
  CHECK(std::string_view(dst.data(), 5) == "again");
  CHECK(ring.peek(1).empty());
  CHECK(ring.next(1).empty());
  CHECK(ring.discard(1) == 0);
  CHECK(ring.read(dst) == 0);
  CHECK(ring.buffered() == 0);
}

TEST_CASE("Zero-length operations change nothing and need no storage", "[ring_buffer]") {
  RingBuffer ring(64);
  CHECK(ring.write("") == 0);
  CHECK(ring.peek(0).empty());
  CHECK(ring.next(0).empty());
  CHECK(ring.discard(0) == 0);
  CHECK(ring.read(std::span<char>()) == 0);
  CHECK(ring.peek_into(std::span<char>()) == 0);
  CHECK(ring.reserve(0) == 0);
  std::array<iovec, 2> iov{};
  CHECK(ring.readable_iovecs(iov) == 0);
  CHECK(ring.writable_iovecs(iov) == 0);
  ring.commit_write(0);
  CHECK(ring.capacity() == 0);
  CHECK(ring.buffered() == 0);

  REQUIRE(ring.write("abc") == 3);
  CHECK(ring.peek(0).empty());
  CHECK(ring.readable_iovecs(std::span<iovec>()) == 0);
  CHECK(ring.buffered() == 3);
}

TEST_CASE("Bytes that end exactly at the end of the block are one segment and need no copy",
          "[ring_buffer]") {
  RingBuffer ring(16);
  place(ring, 10, "ABCDEF");  // [10, 16): ends exactly at the boundary
  std::array<iovec, 2> iov{};
  REQUIRE(ring.readable_iovecs(iov) == 1);
  CHECK(iov[0].iov_len == 6);
  const std::string_view view = ring.peek(6);
  CHECK(view == "ABCDEF");
  CHECK(view.data() == static_cast<const char*>(iov[0].iov_base));  // in place, not moved

  // The free space is then one segment from offset 0 up to the data.
  REQUIRE(ring.writable_iovecs(iov) == 1);
  CHECK(iov[0].iov_len == 10);

  // One more byte wraps to offset 0 and makes two segments.
  REQUIRE(ring.write("G") == 1);
  REQUIRE(ring.readable_iovecs(iov) == 2);
  CHECK(iov[0].iov_len == 6);
  CHECK(iov[1].iov_len == 1);
  CHECK(ring.peek(7) == "ABCDEFG");
}

TEST_CASE("peek of wrapped bytes linearizes in place in every layout without allocating",
          "[ring_buffer]") {
  BufferPool pool;
  RingBuffer ring(16, &pool);
  struct Layout {
    std::size_t head, size;
    const char* name;
  };
  // A = bytes before the end, B = bytes after the wrap, f = free bytes.
  const Layout layouts[] = {
      {13, 5, "A fits in the gap"},          // a=3 b=2 f=11
      {8, 11, "B fits in the gap"},          // a=8 b=3 f=5
      {8, 15, "neither fits (rotate)"},      // a=8 b=7 f=1
      {8, 16, "full (rotate)"},              // a=8 b=8 f=0
      {15, 16, "full with one byte before"}  // a=1 b=15 f=0
  };
  for (const Layout& l : layouts) {
    SECTION(l.name) {
      const std::string bytes = pattern(l.size, 'A');
      place(ring, l.head, bytes);
      std::array<iovec, 2> iov{};
      REQUIRE(ring.readable_iovecs(iov) == 2);  // really wrapped
      CHECK(iov[0].iov_len == 16 - l.head);
      const auto acquires = pool.stats().acquires;
      CHECK(ring.peek(l.size) == bytes);
      CHECK(pool.stats().acquires == acquires);
      CHECK(ring.capacity() == 16);
      CHECK(ring.readable_iovecs(iov) == 1);
      // Still a working ring afterwards.
      CHECK(ring.next(3) == bytes.substr(0, 3));
      CHECK(ring.write("xyz") == std::min<std::size_t>(3, 16 - l.size + 3));
    }
  }
}

TEST_CASE("A peek that does not wrap returns a view into the ring without moving bytes",
          "[ring_buffer]") {
  RingBuffer ring(64);
  place(ring, 60, "0123456789");  // [60, 64) + [0, 6)
  std::array<iovec, 2> iov{};
  REQUIRE(ring.readable_iovecs(iov) == 2);
  const std::string_view front = ring.peek(4);
  CHECK(front == "0123");
  CHECK(front.data() == static_cast<const char*>(iov[0].iov_base));
  CHECK(ring.readable_iovecs(iov) == 2);  // not linearized
}

TEST_CASE("An empty ring restarts at offset zero so its free space is one iovec", "[ring_buffer]") {
  RingBuffer ring(64);
  place(ring, 40, "abc");
  CHECK(ring.discard(3) == 3);
  std::array<iovec, 2> iov{};
  REQUIRE(ring.writable_iovecs(iov) == 1);
  CHECK(iov[0].iov_len == 64);
}

TEST_CASE("readv into writable_iovecs fills the free space across the wrap and writev drains it",
          "[ring_buffer]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);

  RingBuffer ring(64);
  // 10 bytes at [50, 60), more than reserve() would move: free space is [60, 64) + [0, 50).
  const std::string head = "0123456789";
  place(ring, 50, head);
  const std::string input = pattern(54, 'a');
  REQUIRE(::write(wr.get(), input.data(), input.size()) == 54);

  REQUIRE(ring.reserve(54) == 54);
  std::array<iovec, 2> iov{};
  REQUIRE(ring.writable_iovecs(iov) == 2);
  CHECK(iov[0].iov_len == 4);
  CHECK(iov[1].iov_len == 50);
  const ssize_t got = ::readv(rd.get(), iov.data(), 2);
  REQUIRE(got == 54);
  ring.commit_write(static_cast<std::size_t>(got));
  CHECK(ring.buffered() == 64);
  CHECK(ring.capacity() == 64);  // one readv, no growth

  // Out again with one writev of the two segments, then a partial commit.
  REQUIRE(ring.readable_iovecs(iov) == 2);
  REQUIRE(::writev(wr.get(), iov.data(), 2) == 64);
  CHECK(ring.discard(30) == 30);
  std::string echoed(64, '\0');
  REQUIRE(::read(rd.get(), echoed.data(), echoed.size()) == 64);
  CHECK(echoed == head + input);
  CHECK(ring.peek(34) == input.substr(20));
}

TEST_CASE("reserve moves a small leftover to the front so the next read lands in one run",
          "[ring_buffer]") {
  RingBuffer ring(64);
  place(ring, 50, "abcd");  // 4 bytes (at most 64 / kStraightenFraction) mid-block
  std::array<iovec, 2> iov{};
  CHECK(ring.writable_iovecs(iov) == 2);  // split free space...
  REQUIRE(ring.reserve(60) == 60);
  REQUIRE(ring.writable_iovecs(iov) == 1);  // ...made whole by reserve
  CHECK(iov[0].iov_len == 60);
  CHECK(ring.peek(4) == "abcd");
  std::array<iovec, 2> data{};
  REQUIRE(ring.readable_iovecs(data) == 1);
  CHECK(static_cast<char*>(data[0].iov_base) + 4 == iov[0].iov_base);

  // A wrapped small leftover is straightened too.
  place(ring, 62, "wxyz");
  REQUIRE(ring.readable_iovecs(data) == 2);
  REQUIRE(ring.reserve(1) == 60);
  CHECK(ring.readable_iovecs(data) == 1);
  CHECK(ring.peek(4) == "wxyz");
  CHECK(ring.writable_iovecs(iov) == 1);
}

TEST_CASE("reserve grows to the next power of two that fits and stops at the cap",
          "[ring_buffer]") {
  RingBuffer ring(256);
  CHECK(ring.reserve(100) == 128);
  REQUIRE(ring.write(pattern(100)) == 100);
  CHECK(ring.reserve(100) == 156);  // 200 fits in 256
  CHECK(ring.capacity() == 256);
  CHECK(ring.reserve(1000) == 156);  // the cap: no further
  CHECK(ring.peek(100) == pattern(100));
}

TEST_CASE("release_storage gives the block back only when the ring is empty", "[ring_buffer]") {
  BufferPool pool;
  {
    RingBuffer ring(64, &pool);
    REQUIRE(ring.write("abc") == 3);
    CHECK_FALSE(ring.release_storage());
    CHECK(ring.heap_bytes() == 16);
    CHECK(ring.discard(3) == 3);
    CHECK(ring.heap_bytes() == 16);  // a plain ring keeps its block when drained
    CHECK(ring.release_storage());
    CHECK(ring.heap_bytes() == 0);
    CHECK(pool.stats().outstanding_bytes == 0);
    CHECK(ring.write("again") == 5);
    CHECK(ring.peek(5) == "again");
  }
  CHECK(pool.stats().outstanding_blocks == 0);  // the destructor gave it back
}

TEST_CASE("shrink_to_fit moves a wrapped small remainder to a small block in order",
          "[ring_buffer]") {
  BufferPool pool;
  RingBuffer ring(1024, &pool);
  REQUIRE(ring.write(std::string(1014, 'a')) == 1014);
  CHECK(ring.discard(1004) == 1004);
  REQUIRE(ring.write("0123456789ABCDEFGHIJ") == 20);  // wraps: its last 10 bytes land at the front
  std::array<iovec, 2> iov{};
  REQUIRE(ring.readable_iovecs(iov) == 2);
  CHECK(ring.shrink_to_fit());
  CHECK(ring.heap_bytes() == 64);  // twice 30 bytes, rounded up to a power of two
  CHECK(ring.peek(30) == "aaaaaaaaaa0123456789ABCDEFGHIJ");
  CHECK_FALSE(ring.shrink_to_fit());  // already small: stays
  CHECK(ring.discard(30) == 30);
  CHECK_FALSE(ring.shrink_to_fit());  // empty: release_storage() is the call for that
  CHECK(ring.release_storage());
  CHECK(pool.stats().outstanding_blocks == 0);
}

TEST_CASE("A moved ring carries its bytes and leaves an empty ring behind", "[ring_buffer]") {
  BufferPool pool;
  RingBuffer a(64, &pool);
  REQUIRE(a.write("payload") == 7);
  RingBuffer b(std::move(a));
  CHECK(b.peek(7) == "payload");
  CHECK(a.buffered() == 0);  // NOLINT(bugprone-use-after-move): moved-from is empty
  CHECK(a.heap_bytes() == 0);
  RingBuffer c(16, &pool);
  REQUIRE(c.write("x") == 1);
  c = std::move(b);
  CHECK(c.peek(7) == "payload");
  CHECK(pool.stats().outstanding_blocks == 1);
}

TEST_CASE("A ring matches a deque model over millions of random operations", "[ring_buffer]") {
  const std::uint64_t seed = buffer_model::seed_for("ring model", 0x52494e47);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ops = 0, bytes = 0;
  struct Case {
    std::size_t cap, max_write;
    bool pooled;
  };
  const Case cases[] = {{16, 40, true}, {64, 150, false}, {256, 600, true}, {4096, 9000, true}};
  for (const Case& c : cases) {
    BufferPool pool;
    RingBuffer ring(c.cap, c.pooled ? &pool : nullptr);
    buffer_model::BufferModel model(ring, buffer_model::RandomSource(seed + c.cap),
                                    {c.cap, c.cap, c.max_write, false});
    INFO("cap " << c.cap);
    std::uint64_t wrapped = 0;
    const bool ok = model.run(1'000'000 / buffer_model::kOpScale, [&](const RingBuffer& r) {
      std::array<iovec, 2> iov;
      wrapped += r.readable_iovecs(iov) == 2;
    });
    INFO(model.failure());
    REQUIRE(ok);
    ops += model.ops();
    bytes += model.bytes_through();
    CHECK(model.drains() > 1000 / buffer_model::kOpScale);
    CHECK(model.peak() == c.cap);  // the cap was reached
    CHECK(wrapped > 1000 / buffer_model::kOpScale);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ring model: %llu ops, %llu bytes through, %.2f s\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(bytes), s);
}
