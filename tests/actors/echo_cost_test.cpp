// What a steady echo costs a loop beyond one read and one write per message, seen through
// the counters the loops publish (LoopStats): no epoll_ctl per message, no read that only
// returns EAGAIN, no eventfd wake-up while nobody posts. The syscall and CPU figures
// themselves are measured by benchmarks/tools/echo_probe.cpp, never asserted here.

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

namespace {

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

struct Totals {
  std::uint64_t interest_changes = 0;
  std::uint64_t wakeups = 0;
  std::uint64_t waits = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t empty_reads = 0;
};

Totals totals(const actnet::Engine& engine) {
  Totals t;
  for (const auto& loop : engine.stats().loops) {
    t.interest_changes += loop.interest_changes;
    t.wakeups += loop.wakeups;
    t.waits += loop.poller_waits;
    t.bytes_out += loop.bytes_out;
    t.empty_reads += loop.empty_reads;
  }
  return t;
}

}  // namespace

TEST_CASE(
    "A steady echo at pipeline 1 changes no epoll interest, makes no read that returns only "
    "EAGAIN and wakes no mailbox",
    "[engine]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  Echo echo;
  auto running =
      actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  std::vector<TestClient> clients;
  const std::string message(64, 'm');
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back(engine.listen_addresses()[0]);
    clients.back().send_all(message);  // warm up: the accept's wake-up is behind us
    REQUIRE(clients.back().recv_exact(message.size()) == message);
  }
  // Stats are published at the end of a turn: wait until the warm-up's bytes show.
  REQUIRE(eventually([&] { return totals(engine).bytes_out == 4 * message.size(); }));
  const Totals before = totals(engine);

  constexpr int kRounds = 250;
  for (int round = 0; round < kRounds; ++round) {
    for (auto& client : clients)
      client.send_all(message);
    for (auto& client : clients)
      REQUIRE(client.recv_exact(message.size()) == message);
  }
  const std::uint64_t sent = 4 * message.size() * (kRounds + 1);
  REQUIRE(eventually([&] { return totals(engine).bytes_out == sent; }));
  const Totals after = totals(engine);

  CHECK(after.interest_changes == before.interest_changes);
  CHECK(after.wakeups == before.wakeups);
  // One recv per message: edge-triggered too, the short read ends the event's reading.
  CHECK(after.empty_reads == before.empty_reads);
  // The loops did wait for this traffic: the counters are live, not stuck at zero.
  CHECK(after.waits > before.waits);
}

TEST_CASE("An edge-triggered read that fills its chunk reads again and counts the EAGAIN it finds",
          "[engine]") {
  Echo echo;
  // A 64-byte message fills a 64-byte chunk: the loop cannot tell the socket is empty, reads
  // again and finds EAGAIN. The counter the steady echo leaves at zero is live.
  auto running =
      actnet::start(echo, {"tcp://127.0.0.1:0"},
                    {.num_event_loops = 1, .edge_triggered = true, .edge_triggered_chunk = 64});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses()[0]);
  const std::string message(64, 'c');
  for (int round = 0; round < 5; ++round) {
    const std::uint64_t before = totals(engine).empty_reads;
    client.send_all(message);
    REQUIRE(client.recv_exact(message.size()) == message);
    // Nothing more is sent until the loop has looked again and found the socket empty.
    REQUIRE(eventually([&] { return totals(engine).empty_reads > before; }));
  }
}
