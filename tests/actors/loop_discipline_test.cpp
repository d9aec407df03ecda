// The loop's two disciplines that no other test sees directly: loop-only calls made from
// another thread trip the debug assertion, and a loop in steady state allocates nothing per
// read or per write.

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "counting_new.hpp"

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

namespace {

// Counts heap allocations made on one chosen thread (the loop's), nothing else.
std::atomic<std::thread::id> g_watched{};
std::atomic<std::size_t> g_allocations{0};

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    loop_thread.store(std::this_thread::get_id());
    conn_ptr.store(&conn);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
  std::atomic<std::thread::id> loop_thread{};
  std::atomic<actnet::Conn*> conn_ptr{nullptr};
};

}  // namespace

// The test's rule for what counts (tests/counting_new.hpp replaces operator new).
void note_allocation(std::size_t) noexcept {
  if (std::this_thread::get_id() == g_watched.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

TEST_CASE("A loop in steady state allocates nothing per read or per write", "[engine]") {
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses()[0]);
  const std::string message(100, 'x');
  auto round_trip = [&] {
    client.send_all(message);
    return client.recv_exact(message.size()) == message;
  };
  for (int i = 0; i < 200; ++i)
    REQUIRE(round_trip());  // warm up pools and vectors
  g_allocations.store(0);
  g_watched.store(echo.loop_thread.load());
  int ok = 0;
  for (int i = 0; i < 2000; ++i)
    ok += round_trip();
  g_watched.store(std::thread::id{});
  CHECK(ok == 2000);
  CHECK(g_allocations.load() == 0);
}

TEST_CASE("Idle connections hold no buffer memory after their traffic", "[engine]") {
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  std::vector<TestClient> clients;
  const std::string message(3000, 'y');
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back(engine.listen_addresses()[0]);
    clients.back().send_all(message);
    REQUIRE(clients.back().recv_exact(message.size()) == message);
  }
  CHECK(engine.count_connections() == 50);
  // The loops publish their buffer bytes at the end of each turn.
  auto held = [&] {
    std::uint64_t total = 0;
    for (const auto& loop : engine.stats().loops)
      total += loop.buffer_bytes;
    return total;
  };
  CHECK(eventually([&] { return held() == 0; }, std::chrono::seconds(5)));
  clients.front().send_all(message);  // one turns active again...
  CHECK(clients.front().recv_exact(message.size()) == message);
  CHECK(eventually([&] { return held() == 0; }, std::chrono::seconds(5)));  // ...and idle again
}

namespace {

// Echoes whole 4 KiB frames and leaves a partial one where it is.
class FrameEcho : public actnet::EventHandler {
 public:
  static constexpr std::size_t kFrame = 4096;
  actnet::Action on_traffic(actnet::Conn& conn) override {
    while (conn.inbound_buffered() >= kFrame)
      conn.write(conn.next(kFrame));
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE("Connections waiting for the rest of a frame hold a small block each, not a read's",
          "[engine]") {
  FrameEcho handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  constexpr int kClients = 50;
  std::vector<TestClient> clients;
  const std::string frame(FrameEcho::kFrame, 'f');
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(engine.listen_addresses()[0]);
    clients.back().send_all(frame + frame + std::string(100, 'p'));  // 2 frames + a start
    REQUIRE(clients.back().recv_exact(2 * frame.size()) == frame + frame);
  }
  auto held = [&] {
    std::uint64_t total = 0;
    for (const auto& loop : engine.stats().loops)
      total += loop.buffer_bytes;
    return total;
  };
  // 100 bytes each, in a 256-byte block; a read's block (64 KiB) each would be 3.2 MiB.
  CHECK(eventually([&] { return held() == kClients * 256u; }, std::chrono::seconds(5)));
  for (auto& client : clients) {
    client.send_all(std::string(FrameEcho::kFrame - 100, 'p'));  // the rest of the frame
    REQUIRE(client.recv_exact(frame.size()) == std::string(100, 'p') + std::string(3996, 'p'));
  }
  CHECK(eventually([&] { return held() == 0; }, std::chrono::seconds(5)));
}

#if defined(ACTNET_DEBUG_ASSERTS)
TEST_CASE("A loop-only Conn call from another thread trips the debug assertion", "[engine]") {
  Echo echo;
  auto running = actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses()[0]);
  REQUIRE(eventually([&] { return echo.conn_ptr.load() != nullptr; }));
  // In a child, so the abort ends only the child. Only the forking thread lives there,
  // and it is not the connection's loop.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::signal(SIGABRT, SIG_DFL);  // not Catch's handler: the parent judges the child
    (void)echo.conn_ptr.load()->inbound_buffered();
    _exit(0);  // reached only if the assertion did not fire
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}
#endif
