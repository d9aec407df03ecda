// Connected UDP clients (Client::dial("udp://..."), Client::enroll of a connected UDP
// socket) against actnet's own udp:// servers over loopback: the echo matrix, one datagram
// per on_traffic and per write, compared byte for byte in order; async_write from other
// threads; a port where nobody listens; a reply longer than read_buffer_cap; stops.
//
// UDP may drop in principle. Each client keeps at most kWindow datagrams in flight and the
// server's receive buffer is raised, so on loopback nothing is lost; a lost datagram stalls
// its client and the test fails at its deadline instead of hanging.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/resolve.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kClients = 10;
constexpr std::uint32_t kDatagrams = 1000;
constexpr std::size_t kSize = 1024;
constexpr std::uint32_t kWindow = 16;  // datagrams in flight per client

// A datagram: its sequence number, then bytes seeded by (seed, seq).
std::string make_datagram(std::uint64_t seed, std::uint32_t seq, std::size_t size = kSize) {
  std::string out(size, '\0');
  std::mt19937_64 rng(seed * 1'000'003 + seq);
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, size - i));
  }
  std::memcpy(out.data(), &seq, std::min(sizeof seq, size));
  return out;
}

// Polls `done` until it holds or `limit` passes; true when it held.
template <class F>
bool wait_until(F done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The udp:// server: each datagram straight back to its sender.
class UdpEcho : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

std::string url_of(const char* scheme, const actnet::io::SocketAddress& address) {
  return std::string(scheme).append("://").append(address.to_string());
}

// One client's flow, the Conn's context: what it sent and what came back.
struct Flow {
  std::uint64_t seed = 0;
  std::uint32_t sent = 0;
  std::uint32_t received = 0;
};

// Sends kDatagrams datagrams with at most kWindow in flight; each reply must be exactly the
// next datagram sent (loopback keeps order), so a merged, split, lost or changed datagram
// shows. Closes itself when all came back.
class WindowedDriver : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    opened.fetch_add(1);
    Flow* f = conn.context<Flow>();
    if (f == nullptr || !conn.is_connected_datagram()) {
      bad.fetch_add(1);
      return actnet::Action::close;
    }
    while (f->sent < kWindow)
      send_next(conn, *f);
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {
    Flow& f = *conn.context<Flow>();
    const std::string_view got = conn.next();
    if (f.received >= f.sent || got != make_datagram(f.seed, f.received)) {
      bad.fetch_add(1);
      return actnet::Action::close;
    }
    ++f.received;
    echoed.fetch_add(got.size());
    if (f.received == kDatagrams) {
      ok.fetch_add(1);
      return actnet::Action::close;
    }
    if (f.sent < kDatagrams) send_next(conn, f);
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    closed.fetch_add(1);
    if (error) close_errors.fetch_add(1);
    return actnet::Action::none;
  }

  std::atomic<int> opened{0}, closed{0}, ok{0}, bad{0}, close_errors{0}, write_errors{0};
  std::atomic<std::uint64_t> echoed{0};

 private:
  void send_next(actnet::Conn& conn, Flow& f) {
    if (conn.write(make_datagram(f.seed, f.sent++))) write_errors.fetch_add(1);
  }
};

// A connected UDP socket made by hand, for enroll().
actnet::io::UniqueFd connected_udp_socket(const actnet::io::SocketAddress& peer) {
  const int fd = ::socket(peer.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  REQUIRE(::connect(fd, peer.data(), peer.size()) == 0);
  return actnet::io::UniqueFd(fd);
}

// 10 clients, half dialled with `scheme` and half enrolled, against a udp:// server with
// `server_loops` loops; the client runs on two loops of its own (edge-triggered when `edge`:
// a connected UDP socket must stay level-triggered whatever the option says).
void run_echo(const std::string& listen, const char* scheme, std::size_t server_loops,
              bool dial_localhost = false, bool edge = false) {
  UdpEcho echo;
  auto running = actnet::start(echo, {listen},
                               {.num_event_loops = server_loops, .socket_recv_buffer = 2 << 20});
  REQUIRE(running);
  const actnet::io::SocketAddress server = running->engine().listen_addresses().front();

  WindowedDriver driver;
  auto client = actnet::Client::start(driver, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(client.ok());
  std::atomic<int> dial_failures{0};
  auto on_dial = [&](std::error_code ec, actnet::ConnRef) {
    if (ec) dial_failures.fetch_add(1);
  };
  const std::string url =
      dial_localhost
          ? std::string(scheme).append("://localhost:").append(std::to_string(server.port()))
          : url_of(scheme, server);
  const auto start = Clock::now();
  for (int i = 0; i < kClients; ++i) {
    actnet::DialOptions options{.timeout = 5s, .context = Flow{.seed = std::uint64_t(i) + 1}};
    if (i % 2 == 0) {
      CHECK_FALSE(client->dial(url, std::move(options), on_dial));
    } else {
      CHECK_FALSE(client->enroll(connected_udp_socket(server), std::move(options), on_dial));
    }
  }
  const bool finished = wait_until([&] { return driver.closed.load() == kClients; }, 30s);
  const auto took = Clock::now() - start;

  INFO("url " << url << ", server loops " << server_loops << ", edge " << edge << ", ok "
              << driver.ok.load() << ", bad " << driver.bad.load() << ", echoed "
              << driver.echoed.load() << ", took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(finished);
  CHECK(dial_failures == 0);
  CHECK(driver.bad == 0);
  CHECK(driver.write_errors == 0);
  CHECK(driver.ok == kClients);
  CHECK(driver.echoed == std::uint64_t{kClients} * kDatagrams * kSize);
  // A connected UDP client is a connection: on_open and on_close once each.
  CHECK(driver.opened == kClients);
  CHECK(driver.closed == kClients);
  CHECK(driver.close_errors == 0);
  CHECK(client->count_connections() == 0);
  CHECK_FALSE(client->stop());
  CHECK(client->wait());
  CHECK_FALSE(running->engine().stop());
  CHECK(running->wait());
}

}  // namespace

TEST_CASE("Connected UDP clients get every datagram back whole and in order from a one-loop server",
          "[udp][client]") {
  run_echo("udp4://127.0.0.1:0", "udp", 1);
}

TEST_CASE(
    "Connected UDP clients dialling localhost get every datagram back from a four-loop server",
    "[udp][client]") {
  run_echo("udp4://127.0.0.1:0", "udp4", 4, /*dial_localhost=*/true);
}

TEST_CASE("Connected UDP clients on edge-triggered loops get every datagram back",
          "[udp][client]") {
  run_echo("udp4://127.0.0.1:0", "udp", 1, /*dial_localhost=*/false, /*edge=*/true);
}

TEST_CASE("Connected UDP clients get every datagram back over IPv6", "[udp][client]") {
  if (!actnet::io::ipv6_supported()) {
    WARN("IPv6 is not available here: skipped");
    return;
  }
  run_echo("udp6://[::1]:0", "udp6", 1);
}

namespace {

// Keeps the connection's ref for other threads, collects the replies, records on_close.
class Collector : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    opened.fetch_add(1);
    {
      std::lock_guard lock(mutex);
      ref = conn.ref();
      remote = conn.remote_address();
      connected_datagram = conn.is_connected_datagram();
      shutdown_error = conn.shutdown_write();
    }
    if (!greeting.empty()) conn.write(greeting);
    if (pause) conn.pause_reading();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    std::lock_guard lock(mutex);
    replies.emplace_back(conn.next());
    received.fetch_add(1);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    std::lock_guard lock(mutex);
    close_error = error;
    closed.fetch_add(1);
    return actnet::Action::none;
  }

  std::string greeting;  // written in on_open when set
  bool pause = false;    // pause_reading() in on_open
  std::mutex mutex;
  actnet::ConnRef ref;
  actnet::io::SocketAddress remote;
  bool connected_datagram = false;
  std::error_code shutdown_error;
  std::vector<std::string> replies;
  std::error_code close_error;
  std::atomic<int> opened{0}, closed{0}, received{0};
};

}  // namespace

TEST_CASE(
    "async_write from other threads sends one datagram per call and a stale ref then fails with "
    "connection_closed",
    "[udp][client][concurrency]") {
  UdpEcho echo;
  auto running = actnet::start(echo, {"udp4://127.0.0.1:0"}, {.socket_recv_buffer = 2 << 20});
  REQUIRE(running);
  const actnet::io::SocketAddress server = running->engine().listen_addresses().front();
  Collector collector;
  auto client = actnet::Client::start(collector);
  REQUIRE(client.ok());
  std::promise<std::error_code> dialled;
  CHECK_FALSE(client->dial(url_of("udp", server), {},
                           [&](std::error_code ec, actnet::ConnRef) { dialled.set_value(ec); }));
  auto dial_result = dialled.get_future();
  REQUIRE(dial_result.wait_for(5s) == std::future_status::ready);
  REQUIRE_FALSE(dial_result.get());
  actnet::ConnRef ref;
  {
    std::lock_guard lock(collector.mutex);
    ref = collector.ref;
    CHECK(collector.connected_datagram);
    CHECK(collector.remote == server);
    CHECK(collector.shutdown_error == actnet::Errc::unsupported);
  }

  // Two writer threads, each its own sequence, paced so that at most kWindow datagrams of
  // both together are in flight.
  constexpr int kThreads = 2;
  constexpr std::uint32_t kEach = 300;
  std::atomic<int> sent{0}, completed{0}, failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (std::uint32_t seq = 0; seq < kEach; ++seq) {
        if (!wait_until([&] { return sent.load() - collector.received.load() < int(kWindow); },
                        10s)) {
          failed.fetch_add(1);
          return;
        }
        sent.fetch_add(1);
        const std::error_code posted =
            ref.async_write(make_datagram(std::uint64_t(t) + 100, seq, 512),
                            [&](std::error_code ec) { (ec ? failed : completed).fetch_add(1); });
        if (posted) failed.fetch_add(1);
      }
    });
  }
  for (auto& w : writers)
    w.join();
  CHECK(wait_until([&] { return collector.received.load() == kThreads * int(kEach); }, 10s));
  CHECK(failed == 0);
  CHECK(wait_until([&] { return completed.load() == kThreads * int(kEach); }, 5s));

  {
    // Each reply is one whole datagram; each thread's datagrams come back in its order.
    std::lock_guard lock(collector.mutex);
    std::uint32_t next[kThreads] = {0, 0};
    int wrong = 0;
    for (const std::string& r : collector.replies) {
      bool matched = false;
      for (int t = 0; t < kThreads && !matched; ++t) {
        if (next[t] < kEach && r == make_datagram(std::uint64_t(t) + 100, next[t], 512)) {
          ++next[t];
          matched = true;
        }
      }
      if (!matched) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(next[0] == kEach);
    CHECK(next[1] == kEach);
  }

  std::promise<std::error_code> closed;
  CHECK_FALSE(ref.close([&](std::error_code ec) { closed.set_value(ec); }));
  auto close_result = closed.get_future();
  REQUIRE(close_result.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(close_result.get());
  CHECK(collector.closed == 1);
  CHECK(collector.opened == 1);
  CHECK_FALSE(collector.close_error);

  std::promise<std::error_code> late;
  (void)ref.async_write("late", [&](std::error_code ec) { late.set_value(ec); });
  auto late_result = late.get_future();
  REQUIRE(late_result.wait_for(5s) == std::future_status::ready);
  CHECK(late_result.get() == actnet::Errc::connection_closed);
}

namespace {

// A loopback UDP port with nobody on it: bound, read back, closed.
actnet::io::SocketAddress unused_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  socklen_t len = sizeof sin;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(fd);
  return actnet::io::SocketAddress(reinterpret_cast<sockaddr*>(&sin), len);
}

}  // namespace

TEST_CASE(
    "A connected UDP client to a port where nobody listens opens, then closes with "
    "connection_refused after its first datagram",
    "[udp][client]") {
  const actnet::io::SocketAddress nobody = unused_udp_port();
  Collector collector;
  collector.greeting = "anyone there?";
  auto client = actnet::Client::start(collector);
  REQUIRE(client.ok());
  std::promise<std::error_code> dialled;
  CHECK_FALSE(client->dial(url_of("udp", nobody), {.timeout = 5s},
                           [&](std::error_code ec, actnet::ConnRef) { dialled.set_value(ec); }));
  auto dial_result = dialled.get_future();
  REQUIRE(dial_result.wait_for(5s) == std::future_status::ready);
  // UDP has no handshake: the dial succeeds and on_open runs.
  CHECK_FALSE(dial_result.get());
  CHECK(collector.opened == 1);
  // The ICMP port-unreachable for the greeting closes the connection.
  REQUIRE(wait_until([&] { return collector.closed.load() == 1; }, 5s));
  {
    std::lock_guard lock(collector.mutex);
    CHECK(collector.close_error == std::errc::connection_refused);
  }
  CHECK(client->count_connections() == 0);
  std::promise<std::error_code> late;
  (void)collector.ref.async_write("late", [&](std::error_code ec) { late.set_value(ec); });
  auto late_result = late.get_future();
  REQUIRE(late_result.wait_for(5s) == std::future_status::ready);
  CHECK(late_result.get() == actnet::Errc::connection_closed);
}

TEST_CASE("A connected UDP client that paused reading still closes when nobody listens",
          "[udp][client]") {
  Collector collector;
  collector.greeting = "anyone there?";
  collector.pause = true;
  auto client = actnet::Client::start(collector);
  REQUIRE(client.ok());
  CHECK_FALSE(client->dial(url_of("udp", unused_udp_port())));
  // The error arrives while nothing is read: it must close the connection, not spin.
  REQUIRE(wait_until([&] { return collector.closed.load() == 1; }, 5s));
  std::lock_guard lock(collector.mutex);
  CHECK(collector.close_error == std::errc::connection_refused);
}

namespace {

// Replies to "big" with 4 KiB and to anything else with 100 bytes.
class SizedReplies : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    const bool big = conn.next() == "big";
    conn.write(std::string(big ? 4096 : 100, 'r'));
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE(
    "A reply longer than the client's read_buffer_cap is dropped and counted, and the next one "
    "arrives",
    "[udp][client]") {
  SizedReplies server;
  // One engine for both sides, so its stats count the client's truncations; the server
  // never receives anything long enough to be cut.
  auto running = actnet::start(server, {"udp4://127.0.0.1:0"}, {.read_buffer_cap = 1024});
  REQUIRE(running);
  const actnet::io::SocketAddress address = running->engine().listen_addresses().front();
  Collector collector;
  collector.greeting = "big";
  auto client = actnet::Client::attach(collector, running->engine());
  REQUIRE(client.ok());
  CHECK_FALSE(client->dial(url_of("udp", address)));
  auto truncated = [&] {
    std::uint64_t n = 0;
    for (const auto& l : running->engine().stats().loops)
      n += l.datagrams_truncated;
    return n;
  };
  REQUIRE(wait_until([&] { return truncated() == 1; }, 5s));
  CHECK(collector.received == 0);
  actnet::ConnRef ref;
  {
    std::lock_guard lock(collector.mutex);
    ref = collector.ref;
  }
  CHECK_FALSE(ref.async_write("small"));
  REQUIRE(wait_until([&] { return collector.received.load() == 1; }, 5s));
  {
    std::lock_guard lock(collector.mutex);
    CHECK(collector.replies.front() == std::string(100, 'r'));
  }
  CHECK(truncated() == 1);
  CHECK(collector.closed == 0);
  CHECK_FALSE(client->stop());
  CHECK(client->wait());
  CHECK(collector.closed == 1);
  CHECK(collector.close_error == actnet::Errc::shutting_down);
  CHECK_FALSE(running->engine().stop());
  CHECK(running->wait());
}

TEST_CASE("Stopping the engine closes its connected UDP clients with shutting_down",
          "[udp][client]") {
  UdpEcho echo;
  auto running = actnet::start(echo, {"udp4://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running);
  const actnet::io::SocketAddress address = running->engine().listen_addresses().front();
  Collector collector;
  collector.greeting = "hello";
  auto client = actnet::Client::attach(collector, running->engine());
  REQUIRE(client.ok());
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(client->dial(url_of("udp", address)));
  REQUIRE(wait_until([&] { return collector.received.load() == 3; }, 5s));
  CHECK(client->count_connections() == 3);
  actnet::ConnRef ref;
  {
    std::lock_guard lock(collector.mutex);
    ref = collector.ref;
  }
  CHECK_FALSE(running->engine().stop());
  CHECK(running->wait());
  CHECK(collector.opened == 3);
  CHECK(collector.closed == 3);
  CHECK(collector.close_error == actnet::Errc::shutting_down);
  CHECK(client->count_connections() == 0);
  std::promise<std::error_code> late;
  (void)ref.async_write("late", [&](std::error_code ec) { late.set_value(ec); });
  auto late_result = late.get_future();
  REQUIRE(late_result.wait_for(5s) == std::future_status::ready);
  // The loop itself is gone, so the ref fails as every ref to a stopped engine does.
  CHECK(late_result.get() == actnet::Errc::shutting_down);
}

TEST_CASE("Stopping a client closes its connected UDP connections with shutting_down",
          "[udp][client]") {
  UdpEcho echo;
  auto running = actnet::start(echo, {"udp4://127.0.0.1:0"});
  REQUIRE(running);
  const actnet::io::SocketAddress address = running->engine().listen_addresses().front();
  Collector collector;
  collector.greeting = "hello";
  auto client = actnet::Client::start(collector);
  REQUIRE(client.ok());
  CHECK_FALSE(client->enroll(connected_udp_socket(address)));
  REQUIRE(wait_until([&] { return collector.received.load() == 1; }, 5s));
  CHECK_FALSE(client->stop());
  CHECK(client->wait());
  CHECK(collector.closed == 1);
  CHECK(collector.close_error == actnet::Errc::shutting_down);
  CHECK_FALSE(running->engine().stop());
  CHECK(running->wait());
}
