// Echo over loopback across the engine's configuration space: address family × loops ×
// level/edge triggering × load balancing × reuse_port, plus several listeners on one engine,
// edge-triggered reads in small chunks, and fairness between a flooding connection and a
// chatty one on the same loop. Every byte that comes back is compared with what was sent.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, n - i));
  }
  return out;
}

// What a group of echo clients saw; filled from client threads, read on the main thread.
struct EchoTally {
  std::atomic<int> clients_ok{0};
  std::atomic<int> mismatches{0};        // a round came back different (or short)
  std::atomic<int> exceptions{0};        // connect/send failed
  std::atomic<std::uint64_t> echoed{0};  // bytes that came back equal
};

// One client: `total` random bytes (seeded) as write-then-read rounds of `round` bytes.
void echo_client(const actnet::io::SocketAddress& address, std::size_t total, std::size_t round,
                 std::uint64_t seed, EchoTally& tally) {
  try {
    TestClient client(address);
    const std::string data = random_bytes(total, seed);
    bool ok = true;
    for (std::size_t off = 0; off < total && ok; off += round) {
      const std::string_view part = std::string_view(data).substr(off, round);
      client.send_all(part);
      const std::string back = client.recv_exact(part.size());
      if (back != part) {
        tally.mismatches.fetch_add(1);
        ok = false;
      } else {
        tally.echoed.fetch_add(back.size());
      }
    }
    if (ok) tally.clients_ok.fetch_add(1);
  } catch (const std::exception&) {
    tally.exceptions.fetch_add(1);
  }
}

// `clients` concurrent clients against `address`, each echoing `total` bytes.
void run_echo_clients(const actnet::io::SocketAddress& address, int clients, std::size_t total,
                      std::size_t round, std::uint64_t seed, EchoTally& tally) {
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back(echo_client, std::cref(address), total, round,
                         seed * 1000 + static_cast<std::uint64_t>(i), std::ref(tally));
  }
  for (auto& t : threads)
    t.join();
}

const char* name(actnet::LoadBalancing lb) {
  switch (lb) {
    case actnet::LoadBalancing::round_robin:
      return "round_robin";
    case actnet::LoadBalancing::least_connections:
      return "least_connections";
    case actnet::LoadBalancing::source_address_hash:
      return "source_address_hash";
  }
  return "?";
}

}  // namespace

TEST_CASE("Ten clients each echo 1 MiB byte for byte in every engine configuration",
          "[echo][matrix]") {
  const std::string address = GENERATE(as<std::string>{}, "tcp4://127.0.0.1:0", "tcp6://[::1]:0");
  const std::size_t loops = GENERATE(as<std::size_t>{}, 1, 4);
  const bool edge = GENERATE(false, true);
  const actnet::LoadBalancing lb =
      GENERATE(actnet::LoadBalancing::round_robin, actnet::LoadBalancing::least_connections,
               actnet::LoadBalancing::source_address_hash);
  const bool reuse_port = GENERATE(false, true);
  const char* lb_name = name(lb);
  CAPTURE(address, loops, edge, lb_name, reuse_port);

  Echo echo;
  auto running = actnet::start(echo, {address},
                               {.num_event_loops = loops,
                                .load_balancing = lb,
                                .reuse_port = reuse_port,
                                .edge_triggered = edge});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(engine.listen_addresses().size() == 1);
  const actnet::io::SocketAddress bound = engine.listen_addresses()[0];
  CHECK(bound.family() == (address.rfind("tcp6", 0) == 0 ? AF_INET6 : AF_INET));
  REQUIRE(bound.port() != 0);

  constexpr int kClients = 10;
  EchoTally tally;
  const std::uint64_t seed = (loops << 8) | (edge << 4) | (static_cast<unsigned>(lb) << 2) |
                             (reuse_port << 1) | (bound.family() == AF_INET6);
  run_echo_clients(bound, kClients, kMiB, 64 * 1024, seed, tally);

  CHECK(tally.exceptions == 0);
  CHECK(tally.mismatches == 0);
  CHECK(tally.clients_ok == kClients);
  CHECK(tally.echoed == kClients * kMiB);
  // Every client closed: the engine sees each close.
  CHECK(eventually([&] { return engine.count_connections() == 0; }));
  // The loops count what they read and wrote (published just after the syscalls, so wait).
  std::uint64_t in = 0, out = 0;
  CHECK(eventually([&] {
    const actnet::EngineStats stats = engine.stats();
    in = out = 0;
    for (const auto& l : stats.loops) {
      in += l.bytes_in;
      out += l.bytes_out;
    }
    return in == kClients * kMiB && out == kClients * kMiB;
  }));
  CAPTURE(in, out);
  const actnet::EngineStats stats = engine.stats();
  CHECK(stats.loops.size() == loops);
  CHECK(stats.accepted == kClients);  // by the acceptor, or by each loop
  // Where the balancer alone decides (one acceptor), the policy shows in who did the work.
  const auto busy = std::count_if(stats.loops.begin(), stats.loops.end(),
                                  [](const actnet::LoopStats& l) { return l.bytes_in > 0; });
  if (!reuse_port && lb == actnet::LoadBalancing::round_robin)
    CHECK(busy == static_cast<long>(loops));
  if (!reuse_port && lb == actnet::LoadBalancing::source_address_hash) CHECK(busy == 1);

  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
  CHECK(engine.stopped());
}

TEST_CASE("One engine with a tcp4 and a tcp6 listener echoes on both", "[echo][concurrency]") {
  const bool reuse_port = GENERATE(false, true);
  CAPTURE(reuse_port);
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0", "tcp6://[::1]:0"},
                               {.num_event_loops = 2, .reuse_port = reuse_port});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const std::vector<actnet::io::SocketAddress> bound = engine.listen_addresses();
  REQUIRE(bound.size() == 2);
  CHECK(bound[0].family() == AF_INET);
  CHECK(bound[1].family() == AF_INET6);
  CHECK(bound[0].port() != 0);
  CHECK(bound[1].port() != 0);

  // Both listeners at once, four clients each.
  EchoTally v4, v6;
  std::thread t4([&] { run_echo_clients(bound[0], 4, 256 * 1024, 32 * 1024, 41, v4); });
  std::thread t6([&] { run_echo_clients(bound[1], 4, 256 * 1024, 32 * 1024, 61, v6); });
  t4.join();
  t6.join();
  CHECK(v4.exceptions == 0);
  CHECK(v4.mismatches == 0);
  CHECK(v4.echoed == 4 * 256 * 1024);
  CHECK(v6.exceptions == 0);
  CHECK(v6.mismatches == 0);
  CHECK(v6.echoed == 4 * 256 * 1024);

  // Several listeners: dup has no single one to hand out.
  auto dup = engine.dup();
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == actnet::Errc::unsupported);

  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

namespace {

// An echo that hands its Engine to the test from on_boot (rotate() blocks its caller).
class BootEcho : public Echo {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {
    booted.set_value(engine);
    return actnet::Action::none;
  }
  std::promise<actnet::Engine> booted;
};

}  // namespace

TEST_CASE("rotate serves a tcp4 and a tcp6 listener on its calling thread until stopped",
          "[echo][concurrency]") {
  // Shared with the server thread, so that a test that gives up on it (detaches) leaves
  // it nothing dangling.
  struct Server {
    BootEcho echo;
    std::promise<actnet::io::Status> outcome;
  };
  auto shared = std::make_shared<Server>();
  std::future<actnet::Engine> booted = shared->echo.booted.get_future();
  std::future<actnet::io::Status> finished = shared->outcome.get_future();
  std::thread server([shared] {
    shared->outcome.set_value(actnet::rotate(shared->echo, {"tcp4://127.0.0.1:0", "tcp6://[::1]:0"},
                                             {.num_event_loops = 2}));
  });
  struct Joiner {  // bounded: join once rotate has returned, else let the thread go
    std::thread& t;
    std::future<actnet::io::Status>& f;
    ~Joiner() {
      if (!f.valid() || f.wait_for(10s) == std::future_status::ready)
        t.join();
      else
        t.detach();
    }
  } joiner{server, finished};

  REQUIRE(booted.wait_for(10s) == std::future_status::ready);
  actnet::Engine engine = booted.get();
  const std::vector<actnet::io::SocketAddress> bound = engine.listen_addresses();
  if (bound.size() != 2) engine.stop(0ms);
  REQUIRE(bound.size() == 2);
  EchoTally v4, v6;
  run_echo_clients(bound[0], 3, 128 * 1024, 16 * 1024, 71, v4);
  run_echo_clients(bound[1], 3, 128 * 1024, 16 * 1024, 72, v6);
  CHECK(v4.echoed == 3 * 128 * 1024);
  CHECK(v6.echoed == 3 * 128 * 1024);
  CHECK(v4.mismatches + v6.mismatches + v4.exceptions + v6.exceptions == 0);
  CHECK_FALSE(engine.stop(5s));
  REQUIRE(finished.wait_for(10s) == std::future_status::ready);
  CHECK(finished.get().ok());
  CHECK(engine.stopped());
}

TEST_CASE("Edge-triggered reads in 4 KiB chunks still echo 1 MiB byte for byte", "[echo][edge]") {
  // Rounds larger than the read buffer cap: the loop must hand each chunk to on_traffic and
  // come back for the rest (read_again) without an edge and without a full-buffer close.
  const std::size_t round = GENERATE(as<std::size_t>{}, 4 * 1024, 64 * 1024, 256 * 1024);
  CAPTURE(round);
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1,
                                .read_buffer_cap = 16 * 1024,
                                .edge_triggered = true,
                                .edge_triggered_chunk = 4 * 1024});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  EchoTally tally;
  run_echo_clients(engine.listen_addresses()[0], 3, kMiB, round, 7, tally);
  CHECK(tally.exceptions == 0);
  CHECK(tally.mismatches == 0);
  CHECK(tally.echoed == 3 * kMiB);
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

TEST_CASE("Edge-triggered reads of the default 1 MiB chunk do not overflow a 64 KiB read buffer",
          "[echo][edge]") {
  // The chunk (1 MiB) is far larger than read_buffer_cap (64 KiB): a client that sends 1 MiB
  // at once must still be echoed, not closed with read_buffer_full.
  Echo echo;
  auto running =
      actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1, .edge_triggered = true});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  EchoTally tally;
  run_echo_clients(engine.listen_addresses()[0], 2, kMiB, kMiB, 9, tally);
  CHECK(tally.exceptions == 0);
  CHECK(tally.mismatches == 0);
  CHECK(tally.echoed == 2 * kMiB);
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

TEST_CASE(
    "A handler may keep exactly read_buffer_cap bytes unread and one byte more closes "
    "with read_buffer_full",
    "[echo]") {
  // Never consumes: the inbound buffer only grows.
  struct Hoarder : actnet::EventHandler {
    std::atomic<std::size_t> buffered{0};
    std::atomic<int> closes{0}, full{0};
    actnet::Action on_traffic(actnet::Conn& conn) override {
      buffered = conn.inbound_buffered();
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code ec) override {
      closes.fetch_add(1);
      if (ec == actnet::Errc::read_buffer_full) full.fetch_add(1);
      return actnet::Action::none;
    }
  } handler;
  constexpr std::size_t kCap = 4096;  // a power of two: validate() keeps it as is
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1, .read_buffer_cap = kCap});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  client.send_all(std::string(kCap, 'r'));
  REQUIRE(eventually([&] { return handler.buffered.load() == kCap; }));
  std::this_thread::sleep_for(200ms);  // at the cap the connection stays open
  CHECK(handler.closes.load() == 0);
  client.send_all("!");
  REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
  CHECK(handler.full.load() == 1);
  CHECK(handler.buffered.load() == kCap);  // the extra byte was never read in
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

namespace {

// Echoes, except on connections whose first byte is 'F' (floods): those are only counted.
class SinkOrEcho : public actnet::EventHandler {
 public:
  struct Mode {
    bool sink = false;
  };
  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<std::optional<Mode>>();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    auto& mode = *conn.context<std::optional<Mode>>();
    if (!mode) mode = Mode{conn.peek(1) == "F"};
    if (mode->sink) {
      // Some work per byte (a running FNV-1a), so the loop reads the flood more slowly than
      // the client sends it: the flooding socket never runs dry.
      const std::string_view bytes = conn.next();
      for (const char c : bytes)
        hash_ = (hash_ ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
      sunk.fetch_add(bytes.size(), std::memory_order_relaxed);
    } else {
      conn.write(conn.next());
    }
    return actnet::Action::none;
  }
  std::atomic<std::uint64_t> sunk{0};

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;  // loop thread only (one loop)
};

}  // namespace

TEST_CASE("A connection flooding one loop does not starve another connection on that loop",
          "[echo][fairness][concurrency]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  SinkOrEcho handler;
  auto running = actnet::start(
      handler, {"tcp://127.0.0.1:0"},
      {.num_event_loops = 1, .edge_triggered = edge, .edge_triggered_chunk = 4 * 1024});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const actnet::io::SocketAddress bound = engine.listen_addresses()[0];

  std::atomic<bool> stop_flood{false};
  std::atomic<bool> flood_failed{false};
  std::atomic<std::uint64_t> flooded{0};
  std::thread flooder([&] {  // sends block for at most TestClient's 10 s timeout
    try {
      TestClient client(bound);
      const std::string block = "F" + std::string(64 * 1024 - 1, 'f');
      while (!stop_flood.load()) {
        client.send_all(block);
        flooded.fetch_add(block.size());
      }
    } catch (const std::exception&) {
      flood_failed = true;
    }
  });
  struct StopFlood {
    std::atomic<bool>& stop;
    std::thread& t;
    ~StopFlood() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } stop_flood_on_exit{stop_flood, flooder};
  // The flood is under way before the pings start.
  REQUIRE(eventually([&] { return handler.sunk.load() >= 4 * kMiB || flood_failed; }));

  TestClient pinger(bound, 5'000);
  constexpr int kPings = 100;
  int answered = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  const std::uint64_t sunk_before = handler.sunk.load();
  for (int i = 0; i < kPings; ++i) {
    const std::string ping = "ping " + std::to_string(i);
    const auto t0 = std::chrono::steady_clock::now();
    pinger.send_all(ping);
    if (pinger.recv_exact(ping.size()) != ping) break;
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
    ++answered;
  }
  const std::uint64_t sunk_during = handler.sunk.load() - sunk_before;
  stop_flood = true;
  flooder.join();

  CHECK_FALSE(flood_failed);
  CHECK(answered == kPings);
  const auto slowest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count();
  const std::uint64_t flooded_bytes = flooded.load();
  CAPTURE(slowest_ms, sunk_during, flooded_bytes);
  CHECK(slowest_ms < 1000);  // generous: a fair loop answers in well under a millisecond
  CHECK(sunk_during > 0);    // the flood really went on while the pings were answered
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}
