#include "actnet/io/linked_list_buffer.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/unique_fd.hpp"
#include "io/buffer_model.hpp"

using actnet::io::BufferPool;
using actnet::io::LinkedListBuffer;
using actnet::io::UniqueFd;

static_assert(std::is_nothrow_move_constructible_v<LinkedListBuffer>);
static_assert(std::is_nothrow_move_assignable_v<LinkedListBuffer>);
static_assert(!std::is_copy_constructible_v<LinkedListBuffer>);

namespace {

std::string stream(std::size_t n, std::uint64_t from = 0) {
  std::string s;
  buffer_model::stream_bytes(from, n, s);
  return s;
}

}  // namespace

TEST_CASE("An empty list holds no memory and a write takes whole chunks from the pool",
          "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);  // 64-byte blocks: 48 bytes of payload each
  CHECK(list.heap_bytes() == 0);
  CHECK(list.chunks() == 0);
  CHECK(list.chunk_payload() == 48);
  const std::string bytes = stream(100);
  CHECK(list.write(bytes) == 100);
  CHECK(list.chunks() == 3);
  CHECK(list.heap_bytes() == 3 * 64);
  CHECK(pool.stats().outstanding_bytes == 3 * 64);
  CHECK(list.write("x") == 1);  // the last chunk had room
  CHECK(list.chunks() == 3);
  CHECK(list.discard(101) == 101);
  CHECK(list.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);
}

TEST_CASE("A list gives back each chunk as soon as it is drained", "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  REQUIRE(list.write(stream(48 * 3)) == 48 * 3);
  CHECK(list.discard(47) == 47);
  CHECK(list.chunks() == 3);
  CHECK(list.discard(1) == 1);  // exactly the first chunk's end
  CHECK(list.chunks() == 2);
  std::array<char, 60> dst{};
  CHECK(list.read(dst) == 60);
  CHECK(std::string(dst.data(), 60) == stream(60, 48));
  CHECK(list.chunks() == 1);
}

TEST_CASE("readable_iovecs exports one iovec per chunk and stops at the span size",
          "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  REQUIRE(list.write(stream(130)) == 130);
  REQUIRE(list.discard(10) == 10);
  std::array<iovec, 8> iov{};
  REQUIRE(list.readable_iovecs(iov) == 3);
  CHECK(iov[0].iov_len == 38);
  CHECK(iov[1].iov_len == 48);
  CHECK(iov[2].iov_len == 34);
  CHECK(list.readable_iovecs(std::span<iovec>(iov.data(), 2)) == 2);
  CHECK(list.readable_iovecs(std::span<iovec>()) == 0);
}

TEST_CASE("More chunks than IOV_MAX leave in several writev calls in order",
          "[linked_list_buffer]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  const std::size_t total = 48 * (IOV_MAX + 100);
  const std::string bytes = stream(total);
  REQUIRE(list.write(bytes) == total);
  CHECK(list.chunks() == IOV_MAX + 100);

  std::vector<iovec> iov(IOV_MAX);
  std::string out;
  std::array<char, 65536> sink{};
  int writes = 0;
  while (!list.empty()) {
    const std::size_t count = list.readable_iovecs(iov);
    CHECK(count <= static_cast<std::size_t>(IOV_MAX));
    const ssize_t n = ::writev(wr.get(), iov.data(), static_cast<int>(count));
    REQUIRE(n > 0);  // the pipe is drained below, so there is always room
    ++writes;
    CHECK(list.discard(static_cast<std::size_t>(n)) == static_cast<std::size_t>(n));
    for (;;) {
      const ssize_t got = ::read(rd.get(), sink.data(), sink.size());
      if (got <= 0) break;
      out.append(sink.data(), static_cast<std::size_t>(got));
    }
  }
  CHECK(writes >= 2);
  CHECK(out == bytes);
  CHECK(list.heap_bytes() == 0);
}

TEST_CASE("A partial writev followed by discard keeps the rest in order", "[linked_list_buffer]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd rd(fds[0]), wr(fds[1]);
  REQUIRE(::fcntl(wr.get(), F_SETPIPE_SZ, 4096) >= 4096);  // a slow peer: a small window
  const int pipe_size = ::fcntl(wr.get(), F_GETPIPE_SZ);
  BufferPool pool;
  LinkedListBuffer list(pool, 1024);
  const std::string bytes = stream(5 * pipe_size + 777);
  REQUIRE(list.write(bytes) == bytes.size());

  std::array<iovec, 64> iov{};
  std::string out;
  std::string sink(static_cast<std::size_t>(pipe_size), '\0');
  int partial = 0;
  while (!list.empty()) {
    const std::size_t count = list.readable_iovecs(iov);
    const ssize_t n = ::writev(wr.get(), iov.data(), static_cast<int>(count));
    REQUIRE(n > 0);
    if (static_cast<std::size_t>(n) < list.buffered()) ++partial;
    list.discard(static_cast<std::size_t>(n));
    const ssize_t got = ::read(rd.get(), sink.data(), sink.size());
    REQUIRE(got > 0);
    out.append(sink.data(), static_cast<std::size_t>(got));
  }
  for (;;) {
    const ssize_t got = ::read(rd.get(), sink.data(), sink.size());
    if (got <= 0) break;
    out.append(sink.data(), static_cast<std::size_t>(got));
  }
  CHECK(partial >= 4);
  CHECK(out == bytes);
}

TEST_CASE("A peek across chunks copies into a scratch block that the next call gives back",
          "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  const std::string bytes = stream(100);
  REQUIRE(list.write(bytes) == 100);
  CHECK(list.peek(40) == bytes.substr(0, 40));  // inside the first chunk: no copy
  CHECK(list.heap_bytes() == 3 * 64);
  const std::string_view view = list.peek(90);
  CHECK(view == bytes.substr(0, 90));
  CHECK(list.heap_bytes() == 3 * 64 + 128);  // the scratch block
  CHECK(list.buffered() == 100);
  CHECK(list.discard(10) == 10);
  CHECK(list.heap_bytes() == 3 * 64);  // given back by the next call
  CHECK(list.peek(1000) == bytes.substr(10));
  list.trim();
  CHECK(list.heap_bytes() == 3 * 64);
}

TEST_CASE("A next that empties the first chunk keeps it until the next call",
          "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  const std::string bytes = stream(60);
  REQUIRE(list.write(bytes) == 60);
  const std::string_view first = list.next(48);
  CHECK(list.chunks() == 1);
  CHECK(list.heap_bytes() == 2 * 64);  // the drained chunk is kept for the view
  CHECK(first == bytes.substr(0, 48));
  const std::string_view rest = list.next(100);
  CHECK(rest == bytes.substr(48));
  CHECK(list.empty());
  CHECK(list.heap_bytes() == 64);
  list.trim();
  CHECK(list.heap_bytes() == 0);
  CHECK(pool.stats().outstanding_blocks == 0);

  SECTION("a next across chunks returns a scratch copy") {
    REQUIRE(list.write(bytes) == 60);
    CHECK(list.next(55) == bytes.substr(0, 55));
    CHECK(list.chunks() == 1);
    CHECK(list.next(10) == bytes.substr(55));
  }
}

TEST_CASE("max_bytes bounds what a list write stores", "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64, 100);
  CHECK(list.available() == 100);
  CHECK(list.write(stream(150)) == 100);
  CHECK(list.available() == 0);
  CHECK(list.write("x") == 0);
  CHECK(list.discard(30) == 30);
  CHECK(list.write(stream(50)) == 30);
  CHECK(list.buffered() == 100);
}

TEST_CASE("Zero-length and oversized list operations are safe", "[linked_list_buffer]") {
  BufferPool pool;
  LinkedListBuffer list(pool, 64);
  CHECK(list.write("") == 0);
  CHECK(list.peek(10).empty());
  CHECK(list.next(10).empty());
  CHECK(list.discard(10) == 0);
  CHECK(list.read(std::span<char>()) == 0);
  CHECK(list.chunks() == 0);
  REQUIRE(list.write("abc") == 3);
  CHECK(list.peek(0).empty());
  CHECK(list.next(0).empty());
  CHECK(list.peek(10) == "abc");
  CHECK(list.next(10) == "abc");
  CHECK(list.discard(10) == 0);
}

TEST_CASE("A list matches a deque model over millions of random operations",
          "[linked_list_buffer]") {
  const std::uint64_t seed = buffer_model::seed_for("linked list model", 0x4c495354);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ops = 0, bytes = 0;
  struct Case {
    std::size_t chunk, max_bytes, soft, max_write;
  };
  const Case cases[] = {
      {64, 300, 300, 700},
      {64, LinkedListBuffer::kUnlimited, 2000, 1500},
      {256, 5000, 5000, 6000},
      {4096, LinkedListBuffer::kUnlimited, 20000, 9000},
  };
  BufferPool pool(64 * 1024);
  for (const Case& c : cases) {
    {
      LinkedListBuffer list(pool, c.chunk, c.max_bytes);
      buffer_model::BufferModel model(list, buffer_model::RandomSource(seed + c.chunk + c.soft),
                                      {c.max_bytes, c.soft, c.max_write, true});
      INFO("chunk " << c.chunk << " max_bytes " << c.max_bytes);
      std::uint64_t multi_chunk = 0;
      const bool ok = model.run(1'000'000 / buffer_model::kOpScale,
                                [&](const LinkedListBuffer& l) { multi_chunk += l.chunks() > 2; });
      INFO(model.failure());
      REQUIRE(ok);
      ops += model.ops();
      bytes += model.bytes_through();
      CHECK(model.drains() > 1000 / buffer_model::kOpScale);
      CHECK(multi_chunk > 1000 / buffer_model::kOpScale);
      if (c.max_bytes != LinkedListBuffer::kUnlimited) CHECK(model.peak() == c.max_bytes);
    }
    CHECK(pool.stats().outstanding_blocks == 0);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("linked list model: %llu ops, %llu bytes through, %.2f s\n",
              static_cast<unsigned long long>(ops), static_cast<unsigned long long>(bytes), s);
}
