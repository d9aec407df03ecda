#include "actnet/io/mixed_buffer.hpp"

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
using actnet::io::MixedBuffer;
using actnet::io::UniqueFd;

static_assert(std::is_nothrow_move_constructible_v<MixedBuffer>);
static_assert(!std::is_copy_constructible_v<MixedBuffer>);

namespace {

std::string stream(std::size_t n, std::uint64_t from = 0) {
  std::string s;
  buffer_model::stream_bytes(from, n, s);
  return s;
}

}  // namespace

TEST_CASE("A new or drained mixed buffer holds no memory", "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 1024, 64);
  CHECK(out.heap_bytes() == 0);
  REQUIRE(out.write(stream(3000)) == 3000);
  CHECK(out.heap_bytes() > 0);
  CHECK(out.discard(3000) == 3000);
  CHECK(out.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);
}

TEST_CASE("Writes fill the ring up to its cap then overflow into the list", "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 256, 64);
  REQUIRE(out.write(stream(200)) == 200);
  CHECK(out.ring_buffered() == 200);
  CHECK(out.list_buffered() == 0);
  REQUIRE(out.write(stream(100, 200)) == 100);
  CHECK(out.ring_buffered() == 256);
  CHECK(out.list_buffered() == 44);
  CHECK(out.peek(300) == stream(300));
}

TEST_CASE("While the list holds bytes new writes go to the list so the order holds",
          "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 64, 64);
  REQUIRE(out.write(stream(100)) == 100);  // 64 in the ring, 36 in the list
  CHECK(out.discard(50) == 50);            // room in the ring again...
  REQUIRE(out.write(stream(10, 100)) == 10);
  CHECK(out.ring_buffered() == 14);  // ...but the new bytes queue behind the list's
  CHECK(out.list_buffered() == 46);
  CHECK(out.discard(14) == 14);  // the ring drains: its block goes back
  CHECK(out.ring_buffered() == 0);
  REQUIRE(out.write(stream(5, 110)) == 5);
  CHECK(out.list_buffered() == 51);
  CHECK(out.discard(51) == 51);
  REQUIRE(out.write(stream(5, 115)) == 5);  // all empty: back to the ring
  CHECK(out.ring_buffered() == 5);
  CHECK(out.peek(5) == stream(5, 115));
}

TEST_CASE("Iovec export covers the ring then the list and stops where the ring's entries run out",
          "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 64, 64);
  // A full ring that wraps (24 bytes at its end, 40 at its start), then 60 bytes in the list.
  REQUIRE(out.write(stream(64)) == 64);
  CHECK(out.discard(40) == 40);
  REQUIRE(out.write(stream(40, 64)) == 40);
  CHECK(out.ring_buffered() == 64);
  CHECK(out.list_buffered() == 0);
  REQUIRE(out.write(stream(60, 104)) == 60);
  CHECK(out.list_buffered() == 60);

  std::array<iovec, 8> iov{};
  REQUIRE(out.readable_iovecs(iov) == 4);  // two ring segments, two list chunks
  CHECK(iov[0].iov_len == 24);
  CHECK(iov[1].iov_len == 40);
  CHECK(iov[2].iov_len == 48);
  CHECK(iov[3].iov_len == 12);
  // One slot: only the ring's first segment (the list must not jump ahead of the ring).
  CHECK(out.readable_iovecs(std::span<iovec>(iov.data(), 1)) == 1);
  CHECK(iov[0].iov_len == 24);
  CHECK(out.readable_iovecs(std::span<iovec>(iov.data(), 2)) == 2);
  CHECK(out.readable_iovecs(std::span<iovec>(iov.data(), 3)) == 3);
  CHECK(iov[2].iov_len == 48);
}

TEST_CASE("A peek or next spanning the ring and the list is contiguous", "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 64, 64);
  const std::string bytes = stream(150);
  REQUIRE(out.write(bytes) == 150);
  CHECK(out.peek(100) == bytes.substr(0, 100));
  CHECK(out.peek(30) == bytes.substr(0, 30));
  CHECK(out.next(100) == bytes.substr(0, 100));
  CHECK(out.ring_buffered() == 0);
  CHECK(out.next(1000) == bytes.substr(100));
  CHECK(out.empty());
  out.trim();
  CHECK(out.heap_bytes() == 0);
}

TEST_CASE("max_bytes bounds the whole mixed buffer", "[mixed_buffer]") {
  BufferPool pool;
  MixedBuffer out(pool, 64, 64, 100);
  CHECK(out.write(stream(150)) == 100);
  CHECK(out.available() == 0);
  CHECK(out.write("x") == 0);
  CHECK(out.discard(1) == 1);
  CHECK(out.write("xy") == 1);
}

TEST_CASE("A slow peer drains a mixed buffer through partial writev calls in order",
          "[mixed_buffer]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  REQUIRE(::fcntl(wr.get(), F_SETPIPE_SZ, 4096) >= 4096);
  BufferPool pool;
  MixedBuffer out(pool, 8192, 1024);
  std::string sent, received;
  std::array<iovec, 64> iov{};
  std::string sink(4096, '\0');
  for (int round = 0; round < 40; ++round) {
    const std::string msg = stream(1000 + 37 * round, sent.size());
    REQUIRE(out.write(msg) == msg.size());
    sent += msg;
    const std::size_t count = out.readable_iovecs(iov);
    const ssize_t n = ::writev(wr.get(), iov.data(), static_cast<int>(count));
    if (n > 0) out.discard(static_cast<std::size_t>(n));
    if (round % 3 == 0) {  // the peer reads now and then
      const ssize_t got = ::read(rd.get(), sink.data(), sink.size());
      if (got > 0) received.append(sink.data(), static_cast<std::size_t>(got));
    }
  }
  CHECK(out.list_buffered() > 0);  // the ring overflowed
  while (!out.empty()) {
    const std::size_t count = out.readable_iovecs(iov);
    const ssize_t n = ::writev(wr.get(), iov.data(), static_cast<int>(count));
    if (n > 0) out.discard(static_cast<std::size_t>(n));
    const ssize_t got = ::read(rd.get(), sink.data(), sink.size());
    if (got > 0) received.append(sink.data(), static_cast<std::size_t>(got));
  }
  for (ssize_t got; (got = ::read(rd.get(), sink.data(), sink.size())) > 0;) {
    received.append(sink.data(), static_cast<std::size_t>(got));
  }
  CHECK(received == sent);
  CHECK(out.heap_bytes() == 0);
}

TEST_CASE("A mixed buffer matches a deque model over millions of random operations",
          "[mixed_buffer]") {
  const std::uint64_t seed = buffer_model::seed_for("mixed model", 0x4d495845);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ops = 0, bytes = 0;
  struct Case {
    std::size_t ring_cap, chunk, max_bytes, soft, max_write;
  };
  const Case cases[] = {
      {16, 64, 200, 200, 500},
      {64, 64, MixedBuffer::kUnlimited, 1000, 700},
      {1024, 128, 5000, 5000, 6000},
      {4096, 4096, MixedBuffer::kUnlimited, 30000, 12000},
  };
  BufferPool pool(64 * 1024);
  for (const Case& c : cases) {
    {
      MixedBuffer out(pool, c.ring_cap, c.chunk, c.max_bytes);
      buffer_model::BufferModel model(out, buffer_model::RandomSource(seed + c.ring_cap),
                                      {c.max_bytes, c.soft, c.max_write, true});
      INFO("ring cap " << c.ring_cap << " chunk " << c.chunk << " max_bytes " << c.max_bytes);
      std::uint64_t both = 0;  // states with bytes in the ring and in the list
      const bool ok = model.run(1'000'000 / buffer_model::kOpScale, [&](const MixedBuffer& m) {
        both += m.ring_buffered() > 0 && m.list_buffered() > 0;
      });
      INFO(model.failure());
      REQUIRE(ok);
      ops += model.ops();
      bytes += model.bytes_through();
      CHECK(model.drains() > 1000 / buffer_model::kOpScale);
      CHECK(both > 1000 / buffer_model::kOpScale);
      if (c.max_bytes != MixedBuffer::kUnlimited) CHECK(model.peak() == c.max_bytes);
    }
    CHECK(pool.stats().outstanding_blocks == 0);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("mixed model: %llu ops, %llu bytes through, %.2f s\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(bytes), s);
}
