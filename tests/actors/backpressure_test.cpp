// Backpressure: a client that never reads cannot make the server grow. Outbound bytes past
// Options::write_high_water pause the connection (on_backpressure(true)), falling back to
// write_low_water resumes it (on_backpressure(false)), and a producer that ignores both is
// cut off at write_hard_limit with Errc::write_limit_exceeded.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/sanitizers.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr bool kSanitized = actnet::io::kAddressSanitizer || actnet::io::kThreadSanitizer;

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;
constexpr std::size_t kChunk = 64 * KiB;

// Byte i of the stream is i % 251: a lost, repeated or reordered chunk shows.
std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>(i % 251);
  return out;
}

// The process's resident set (the server runs in this process).
std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

// Streams `total` pattern bytes to its one connection, as fast as backpressure allows:
// produces while not paused, stops on on_backpressure(true), and on on_backpressure(false)
// wakes the connection to produce again in on_traffic.
class Producer : public actnet::EventHandler {
 public:
  explicit Producer(std::size_t total) : total_(total), pattern_(pattern(kChunk + 251)) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    produce(conn);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.inbound_buffered() > 0) {  // bytes from the client (not a wake)
      if (paused_) read_while_paused.fetch_add(1);
      inbound.fetch_add(conn.discard());
    }
    produce(conn);
    return actnet::Action::none;
  }
  void on_backpressure(actnet::Conn& conn, bool paused) override {
    paused_ = paused;
    if (paused) {
      pauses.fetch_add(1);
      return;
    }
    resumes.fetch_add(1);
    if (!client_reading.load()) resumed_before_reading.fetch_add(1);
    (void)conn.ref().wake();
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error != actnet::Errc::shutting_down) unexpected_close.fetch_add(1);
    return actnet::Action::none;
  }

  std::atomic<bool> client_reading{false};
  std::atomic<int> pauses{0};
  std::atomic<int> resumes{0};
  std::atomic<int> resumed_before_reading{0};
  std::atomic<int> write_errors{0};
  std::atomic<int> unexpected_close{0};
  std::atomic<int> read_while_paused{0};
  std::atomic<std::size_t> inbound{0};
  std::atomic<std::size_t> produced{0};
  std::atomic<std::size_t> max_outbound{0};
  std::atomic<int> stopped_paused{0};  // produce() returned because of the pause

 private:
  void produce(actnet::Conn& conn) {
    std::size_t done = produced.load();
    while (!paused_ && done < total_) {
      const std::size_t n = std::min(kChunk, total_ - done);
      if (conn.write(std::string_view(pattern_.data() + done % 251, n))) {
        write_errors.fetch_add(1);
        return;
      }
      done += n;
      produced.store(done);
      max_outbound.store(std::max(max_outbound.load(), conn.outbound_buffered()));
    }
    if (paused_) stopped_paused.fetch_add(1);  // after the last store to produced
  }

  const std::size_t total_;
  const std::string pattern_;
  bool paused_ = false;  // loop thread only
};

// Writes 64 KiB chunks on open until a write fails, paying no heed to backpressure; echoes
// on every later connection.
class Flooder : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    if (opened.fetch_add(1) != 0) return actnet::Action::none;
    const std::string chunk(kChunk, 'x');
    for (std::size_t i = 0; i < 16 * 1024; ++i) {  // 1 GiB at most
      const std::error_code ec = conn.write(chunk);
      if (ec) {
        write_error.store(ec.value());
        write_error_is_limit.store(ec == actnet::Errc::write_limit_exceeded);
        break;
      }
      accepted.fetch_add(kChunk);
    }
    still_open_after.store(conn.is_open());
    flooding_done.store(true);  // last: the test waits for it before reading the rest
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::write_limit_exceeded) closed_on_limit.fetch_add(1);
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  void on_backpressure(actnet::Conn&, bool paused) override {
    if (paused) pauses.fetch_add(1);
  }

  std::atomic<int> opened{0};
  std::atomic<int> write_error{0};
  std::atomic<bool> write_error_is_limit{false};
  std::atomic<bool> still_open_after{true};
  std::atomic<bool> flooding_done{false};
  std::atomic<std::size_t> accepted{0};
  std::atomic<int> closed_on_limit{0};
  std::atomic<int> closed{0};
  std::atomic<int> pauses{0};
};

// Remembers the ConnRef of its connection.
class RefKeeper : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    ref_ = conn.ref();
    opened.store(true);  // publishes ref_
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::write_limit_exceeded) closed_on_limit.fetch_add(1);
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  actnet::ConnRef ref() const { return opened.load() ? ref_ : actnet::ConnRef(); }

  std::atomic<bool> opened{false};
  std::atomic<int> closed_on_limit{0};
  std::atomic<int> closed{0};

 private:
  actnet::ConnRef ref_;
};

}  // namespace

TEST_CASE(
    "A client that never reads pauses the producer and bounds memory until it reads every "
    "byte",
    "[backpressure]") {
  // 1 GiB; less under sanitizers, whose instrumented copies and checks make it slow.
  const std::size_t total = kSanitized ? 256 * MiB : 1024 * MiB;
  const std::size_t kHighWater = 1 * MiB;
  const bool edge_triggered = GENERATE(false, true);
  INFO("edge_triggered " << edge_triggered);
  Producer handler(total);
  std::vector<char> buffer(1 * MiB);
  const std::string expected = pattern(buffer.size() + 251);
  const std::size_t rss_before = rss_bytes();
  REQUIRE(rss_before > 0);

  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .write_high_water = kHighWater,
                                .write_low_water = 256 * KiB,
                                .edge_triggered = edge_triggered});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0), 30'000);

  // Not reading: the socket buffers fill, then the outbound buffer passes the high water.
  REQUIRE(
      eventually([&] { return handler.pauses.load() == 1 && handler.stopped_paused.load() >= 1; }));
  const std::size_t produced_paused = handler.produced.load();
  client.send_all("hello");  // paused: the server does not read it yet
  ::usleep(300'000);         // a window in which the producer and the reader stay still
  CHECK(handler.produced.load() == produced_paused);
  // The loop still flushes what was buffered before the pause whenever the kernel takes
  // more (on a loaded machine it can, for a while), but never more than was produced.
  CHECK(engine.stats().loops.at(0).bytes_out <= produced_paused);
  CHECK(engine.stats().loops.at(0).bytes_in == 0);
  CHECK(handler.inbound.load() == 0);
  CHECK(produced_paused < total);
  CHECK(handler.resumes.load() == 0);
  std::size_t rss_peak = rss_bytes();

  // Now read everything, checking the pattern and watching memory.
  handler.client_reading.store(true);
  std::size_t received = 0;
  std::size_t mismatched_reads = 0;
  std::size_t next_sample = 0;
  while (received < total) {
    const ssize_t n =
        ::recv(client.fd(), buffer.data(), std::min(buffer.size(), total - received), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (std::memcmp(buffer.data(), expected.data() + received % 251, static_cast<std::size_t>(n)) !=
        0) {
      ++mismatched_reads;
    }
    received += static_cast<std::size_t>(n);
    if (received >= next_sample) {
      rss_peak = std::max(rss_peak, rss_bytes());
      next_sample = received + 16 * MiB;
    }
  }
  rss_peak = std::max(rss_peak, rss_bytes());

  CHECK(received == total);
  CHECK(mismatched_reads == 0);
  // The last chunk can reach the client before the loop thread records it as produced.
  CHECK(eventually([&] { return handler.produced.load() == total; }));
  CHECK(handler.write_errors.load() == 0);
  CHECK(handler.unexpected_close.load() == 0);
  CHECK(handler.pauses.load() >= 1);
  CHECK(handler.resumes.load() >= 1);
  CHECK(handler.resumed_before_reading.load() == 0);
  CHECK(handler.read_while_paused.load() == 0);
  CHECK(eventually([&] { return handler.inbound.load() == 5; }));  // read once resumed
  // The producer never got more than one chunk past the high water.
  CHECK(handler.max_outbound.load() <= kHighWater + kChunk);
  // Memory: a few MiB for buffers, pools and threads, however much goes through.
  const std::size_t growth = rss_peak > rss_before ? rss_peak - rss_before : 0;
  INFO("RSS grew by " << growth / KiB << " KiB while " << total / MiB << " MiB went through");
  // Sanitizers keep freed memory in quarantine and shadow what is touched, so they get
  // more room; either way it is far below what went through.
  CHECK(growth < (kSanitized ? 48 : 8) * MiB);
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
}

TEST_CASE(
    "A producer writing past write_hard_limit has its connection closed with "
    "write_limit_exceeded",
    "[backpressure]") {
  const bool edge_triggered = GENERATE(false, true);
  INFO("edge_triggered " << edge_triggered);
  Flooder handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .write_high_water = 1 * MiB,
                                .write_low_water = 256 * KiB,
                                .write_hard_limit = 4 * MiB,
                                .edge_triggered = edge_triggered});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);
  TestClient flooded(address);  // never reads
  // on_close runs inside the failing write, before the handler records that write's error.
  REQUIRE(eventually([&] { return handler.closed.load() == 1 && handler.flooding_done.load(); }));
  CHECK(handler.closed_on_limit.load() == 1);
  CHECK(handler.write_error_is_limit.load());
  CHECK_FALSE(handler.still_open_after.load());
  CHECK(handler.pauses.load() == 1);  // it passed the high water on the way
  // Cut off near the limit: what the kernel took plus at most the limit and a chunk.
  CHECK(handler.accepted.load() < 64 * MiB);
  CHECK(flooded.closed_within(10'000));

  // The engine carries on serving others.
  TestClient other(address);
  other.send_all("still here");
  CHECK(other.recv_exact(10) == "still here");
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
}

TEST_CASE("async_writes past write_hard_limit close the connection and fail their completions",
          "[backpressure][concurrency]") {
  constexpr int kChunks = 512;  // 32 MiB against a 4 MiB limit (and the socket buffers)
  RefKeeper handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .write_high_water = 1 * MiB,
                                .write_low_water = 256 * KiB,
                                .write_hard_limit = 4 * MiB});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));  // never reads
  REQUIRE(eventually([&] { return handler.opened.load(); }));
  const actnet::ConnRef ref = handler.ref();

  std::atomic<int> runs{0}, ok{0}, limit{0}, closed{0}, other{0};
  const std::string chunk(kChunk, 'y');
  for (int c = 0; c < kChunks; ++c) {
    (void)ref.async_write(chunk, [&](std::error_code ec) {
      runs.fetch_add(1);
      if (!ec) {
        ok.fetch_add(1);
      } else if (ec == actnet::Errc::write_limit_exceeded) {
        limit.fetch_add(1);
      } else if (ec == actnet::Errc::connection_closed) {
        closed.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  REQUIRE(eventually([&] { return runs.load() == kChunks; }));
  REQUIRE(eventually([&] { return handler.closed.load() == 1; }));
  CHECK(handler.closed_on_limit.load() == 1);
  CHECK(ok.load() > 0);       // what the kernel took
  CHECK(limit.load() >= 1);   // the write that crossed the limit, and those still buffered
  CHECK(closed.load() >= 1);  // those that arrived after the close
  CHECK(other.load() == 0);
  CHECK(client.closed_within(10'000));
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
}

TEST_CASE(
    "Outbound bytes exactly at write_hard_limit are kept and one byte more closes the "
    "connection",
    "[backpressure]") {
  // On the loop, in one callback: fill the kernel until bytes stay buffered, top the buffer
  // up to exactly the limit, then write one byte more.
  struct Filler : actnet::EventHandler {
    std::atomic<std::size_t> at_limit{0};
    std::atomic<int> at_limit_ok{0}, past_limit{0}, closed_on_limit{0};
    std::size_t limit = 0;
    actnet::Action on_traffic(actnet::Conn& conn) override {
      conn.discard();
      const std::string chunk(kChunk, 'f');
      for (int i = 0; i < 4096 && conn.outbound_buffered() == 0; ++i)
        if (conn.write(chunk)) return actnet::Action::none;
      const std::size_t top_up = limit - conn.outbound_buffered();
      at_limit_ok = conn.write(std::string(top_up, 'g')) ? 0 : 1;
      at_limit = conn.outbound_buffered();
      past_limit = conn.write("h") == actnet::Errc::write_limit_exceeded ? 1 : 0;
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code ec) override {
      if (ec == actnet::Errc::write_limit_exceeded) closed_on_limit.fetch_add(1);
      return actnet::Action::none;
    }
  } handler;
  handler.limit = 4 * MiB;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .write_high_water = 1 * MiB,
                                .write_low_water = 256 * KiB,
                                .write_hard_limit = handler.limit,
                                .socket_send_buffer = 64 * 1024});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));  // sends one byte, never reads
  client.send_all("x");
  REQUIRE(eventually([&] { return handler.closed_on_limit.load() == 1; }));
  CHECK(handler.at_limit_ok.load() == 1);
  CHECK(handler.at_limit.load() == handler.limit);
  CHECK(handler.past_limit.load() == 1);
  CHECK(client.closed_within(10'000));
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
}
