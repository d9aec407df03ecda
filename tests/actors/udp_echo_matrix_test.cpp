// UDP echo over loopback across loops × address family: 10 clients each send 1,000
// datagrams of 1 KiB, one at a time, and compare every reply with what they sent. UDP may
// drop in principle, so a client waits for each reply with a timeout and sends again a
// bounded number of times; on loopback at this pace retries should be (almost) none, and
// every datagram must come back whole and equal.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/resolve.hpp"
#include "actors/udp_test_client.hpp"

namespace {

class UdpEcho : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn&) override {
    opened.fetch_add(1);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.is_datagram()) datagrams.fetch_add(1);
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code) override {
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  std::atomic<int> opened{0}, closed{0};
  std::atomic<std::uint64_t> datagrams{0};
};

struct UdpTally {
  std::atomic<int> clients_ok{0};
  std::atomic<int> failures{0};  // a datagram never came back equal within the retries
  std::atomic<int> retries{0};
  std::atomic<int> exceptions{0};
  std::atomic<std::uint64_t> echoed{0};
};

constexpr int kClients = 10;
constexpr int kDatagrams = 1000;
constexpr std::size_t kSize = 1024;
constexpr int kRetries = 5;

// A datagram: its sequence number, then seeded random bytes.
std::string make_datagram(std::uint64_t seed, std::uint32_t seq) {
  std::string out(kSize, '\0');
  std::mt19937_64 rng(seed * 1'000'003 + seq);
  for (std::size_t i = 0; i < kSize; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, kSize - i));
  }
  std::memcpy(out.data(), &seq, sizeof seq);
  return out;
}

void udp_client(const actnet::io::SocketAddress& server, std::uint64_t seed, UdpTally& tally) {
  try {
    UdpTestSocket sock(server.family(), 300);
    sock.connect(server);
    for (std::uint32_t seq = 0; seq < kDatagrams; ++seq) {
      const std::string sent = make_datagram(seed, seq);
      bool ok = false;
      for (int attempt = 0; attempt <= kRetries && !ok; ++attempt) {
        if (attempt > 0) tally.retries.fetch_add(1);
        sock.send(sent);
        // Skip late replies to earlier attempts of earlier datagrams.
        while (auto back = sock.recv()) {
          std::uint32_t got_seq = 0;
          if (back->size() >= sizeof got_seq) std::memcpy(&got_seq, back->data(), sizeof got_seq);
          if (got_seq != seq) continue;
          ok = *back == sent;
          break;
        }
      }
      if (!ok) {
        tally.failures.fetch_add(1);
        return;
      }
      tally.echoed.fetch_add(kSize);
    }
    tally.clients_ok.fetch_add(1);
  } catch (const std::exception&) {
    tally.exceptions.fetch_add(1);
  }
}

void run_matrix(const std::string& address, std::size_t loops) {
  UdpEcho echo;
  auto running = actnet::start(echo, {address}, {.num_event_loops = loops});
  REQUIRE(running);
  const auto bound = running->engine().listen_addresses();
  REQUIRE(bound.size() == 1);
  const actnet::io::SocketAddress server = bound.front();

  UdpTally tally;
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] { udp_client(server, static_cast<std::uint64_t>(i) + 1, tally); });
  for (auto& t : clients)
    t.join();

  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  const actnet::EngineStats stats = running->engine().stats();  // final after the stop

  INFO("address " << address << ", loops " << loops << ", retries " << tally.retries.load());
  CHECK(tally.exceptions == 0);
  CHECK(tally.failures == 0);
  CHECK(tally.clients_ok == kClients);
  CHECK(tally.echoed == std::uint64_t{kClients} * kDatagrams * kSize);
  // Retries are for a lost datagram now and then, not a way of life.
  CHECK(tally.retries < kClients * kDatagrams / 100);
  CHECK(echo.datagrams >= std::uint64_t{kClients} * kDatagrams);
  // A listening UDP server has no connections: no on_open, no on_close (as in gnet).
  CHECK(echo.opened == 0);
  CHECK(echo.closed == 0);
  std::uint64_t in = 0, out = 0;
  for (const auto& l : stats.loops) {
    in += l.bytes_in;
    out += l.bytes_out;
  }
  CHECK(in == echo.datagrams * kSize);
  CHECK(out == in);
  if (loops > 1) {
    // SO_REUSEPORT spreads the clients (by source port) over more than one loop.
    int busy = 0;
    for (const auto& l : stats.loops)
      busy += l.bytes_in > 0 ? 1 : 0;
    CHECK(busy > 1);
  }
}

}  // namespace

TEST_CASE("UDP echo returns every datagram whole over IPv4 with one loop", "[udp]") {
  run_matrix("udp4://127.0.0.1:0", 1);
}

TEST_CASE("UDP echo returns every datagram whole over IPv4 with four loops", "[udp][concurrency]") {
  run_matrix("udp4://127.0.0.1:0", 4);
}

TEST_CASE("UDP echo returns every datagram whole over IPv6 with one loop", "[udp]") {
  if (!actnet::io::ipv6_supported()) {
    WARN("IPv6 is not available here: skipped");
    return;
  }
  run_matrix("udp6://[::1]:0", 1);
}

TEST_CASE("UDP echo returns every datagram whole over IPv6 with four loops", "[udp][concurrency]") {
  if (!actnet::io::ipv6_supported()) {
    WARN("IPv6 is not available here: skipped");
    return;
  }
  run_matrix("udp6://[::1]:0", 4);
}
