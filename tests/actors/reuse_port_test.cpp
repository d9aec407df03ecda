// Listeners shared and handed out: two engines serving one port with SO_REUSEPORT, each
// stopping itself (gnet's TestEngineStop), and Engine::dup() of the listener.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Echoes and counts what it echoed; a connection that opens with "stop" stops the engine
// (Action::shutdown). With the ticker on, on_tick stops the engine once `stop_from_tick`
// is set, and asks twice: the second ask must be refused.
class StoppableEcho : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {
    engine_ = engine;  // supervisor thread, like on_tick
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.peek(4) == "stop") {
      conn.discard();
      return actnet::Action::shutdown;
    }
    const std::string_view bytes = conn.next();
    echoed.fetch_add(bytes.size(), std::memory_order_relaxed);
    conn.write(bytes);
    return actnet::Action::none;
  }
  actnet::Tick on_tick() override {
    if (stop_from_tick.load() && !asked_) {
      asked_ = true;
      first_stop = engine_.stop(5s);
      second_stop = engine_.stop(5s);
    }
    return {.delay = 5ms};
  }

  std::atomic<std::uint64_t> echoed{0};
  std::atomic<bool> stop_from_tick{false};
  // Supervisor thread only; read after wait() returned (the thread is joined by then).
  std::error_code first_stop = actnet::Errc::invalid_argument, second_stop;

 private:
  actnet::Engine engine_;
  bool asked_ = false;
};

// `clients` clients in turn, each `rounds` echo round trips of `size` bytes; the bytes that
// came back right (exceptions and mismatches count as failures).
std::uint64_t echo_rounds(const actnet::io::SocketAddress& to, int clients, int rounds,
                          std::size_t size, int& failures) {
  std::uint64_t ok = 0;
  for (int c = 0; c < clients; ++c) {
    try {
      TestClient client(to, 5'000);
      for (int r = 0; r < rounds; ++r) {
        const std::string message(size, static_cast<char>('a' + (c + r) % 26));
        client.send_all(message);
        if (client.recv_exact(size) == message)
          ok += size;
        else
          ++failures;
      }
    } catch (const std::exception&) {
      ++failures;
    }
  }
  return ok;
}

actnet::io::SocketAddress local_of(int fd) {
  actnet::io::SocketAddress a;
  socklen_t len = actnet::io::SocketAddress::capacity();
  if (::getsockname(fd, a.data(), &len) == 0) a.set_size(len);
  return a;
}

}  // namespace

TEST_CASE("Two engines share one port with reuse_port and each stops itself",
          "[reuse_port][concurrency]") {
  const actnet::Options options{.num_event_loops = 2, .reuse_port = true, .ticker = true};
  StoppableEcho first_handler, second_handler;
  auto first = actnet::start(first_handler, {"tcp://127.0.0.1:0"}, options);
  REQUIRE(first.ok());
  const actnet::io::SocketAddress address = first->engine().listen_addresses()[0];
  REQUIRE(address.port() != 0);
  auto second =
      actnet::start(second_handler, {"tcp://127.0.0.1:" + std::to_string(address.port())}, options);
  REQUIRE(second.ok());
  REQUIRE(second->engine().listen_addresses()[0] == address);
  actnet::Engine a = first->engine(), b = second->engine();

  // The kernel spreads connections over both engines' listeners; every byte is counted once.
  constexpr int kClients = 24, kRounds = 8;
  constexpr std::size_t kSize = 1000;
  int failures = 0;
  const std::uint64_t sent = echo_rounds(address, kClients, kRounds, kSize, failures);
  CHECK(failures == 0);
  CHECK(sent == kClients * kRounds * kSize);
  CHECK(first_handler.echoed + second_handler.echoed == sent);
  CHECK(first_handler.echoed > 0);  // both engines served: the port really is shared
  CHECK(second_handler.echoed > 0);
  CHECK(a.stats().accepted + b.stats().accepted == kClients);

  // The first stops itself from on_tick; asking again is refused.
  first_handler.stop_from_tick = true;
  REQUIRE(eventually([&] { return a.stopped(); }));
  CHECK(first->wait().ok());
  CHECK_FALSE(first_handler.first_stop);
  CHECK(first_handler.second_stop == actnet::Errc::shutting_down);
  CHECK(a.stop() == actnet::Errc::shutting_down);
  CHECK(a.listen_addresses().size() == 1);  // still names what it was bound to
  CHECK_FALSE(b.stopped());

  // The port is still served, now by the second alone.
  const std::uint64_t second_before = second_handler.echoed;
  failures = 0;
  const std::uint64_t more = echo_rounds(address, 8, 4, kSize, failures);
  CHECK(failures == 0);
  CHECK(more == 8 * 4 * kSize);
  CHECK(second_handler.echoed - second_before == more);

  // The second stops itself from a handler callback (Action::shutdown).
  {
    TestClient stopper(address, 5'000);
    stopper.send_all("stop");
    CHECK(stopper.closed_within(5'000));
  }
  REQUIRE(eventually([&] { return b.stopped(); }));
  CHECK(second->wait().ok());
  CHECK(b.stop() == actnet::Errc::shutting_down);
  CHECK(first_handler.echoed + second_handler.echoed == sent + more);
}

TEST_CASE("Engine dup hands out a working duplicate of its one listener", "[reuse_port][dup]") {
  const bool reuse_port = GENERATE(false, true);
  CAPTURE(reuse_port);
  StoppableEcho handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1, .reuse_port = reuse_port});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const actnet::io::SocketAddress address = engine.listen_addresses()[0];

  auto dup = engine.dup();
  REQUIRE(dup.ok());
  const int fd = dup->get();
  CHECK(local_of(fd) == address);
  CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  int listening = 0;
  socklen_t len = sizeof listening;
  CHECK(::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0);
  CHECK(listening == 1);
  auto again = engine.dup();  // each call is a fresh descriptor
  REQUIRE(again.ok());
  CHECK(again->get() != fd);

  // It is the same socket: once the engine has stopped and closed its own descriptor, the
  // duplicate still listens on the address, and a connection there can be accepted from it.
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
  auto after = engine.dup();
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == actnet::Errc::shutting_down);

  TestClient client(address, 5'000);
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5'000) == 1);
  const int accepted = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  CHECK(accepted >= 0);
  if (accepted >= 0) {
    client.send_all("hand-over");
    char buf[16] = {};
    CHECK(::recv(accepted, buf, sizeof buf, 0) == 9);
    CHECK(std::string(buf) == "hand-over");
    ::close(accepted);
  }
}

TEST_CASE("Engine dup is unsupported with more than one listener", "[reuse_port][dup]") {
  StoppableEcho handler;
  SECTION("two addresses") {
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0", "tcp6://[::1]:0"});
    REQUIRE(running.ok());
    auto dup = running->engine().dup();
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().code == actnet::Errc::unsupported);
    CHECK(running->engine().stop(5s) == std::error_code{});
    CHECK(running->wait().ok());
  }
  SECTION("one listener per loop with reuse_port") {
    auto running =
        actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 3, .reuse_port = true});
    REQUIRE(running.ok());
    CHECK(running->engine().listen_addresses().size() == 1);
    auto dup = running->engine().dup();
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().code == actnet::Errc::unsupported);
    CHECK(running->engine().stop(5s) == std::error_code{});
    CHECK(running->wait().ok());
  }
}

namespace {

class LifeCycle : public StoppableEcho {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {
    ++boots;
    return StoppableEcho::on_boot(engine);
  }
  void on_shutdown(actnet::Engine&) override { ++shutdowns; }
  std::atomic<int> boots{0}, shutdowns{0};
};

}  // namespace

TEST_CASE("A port held without reuse_port cannot be shared and the refused engine leaves nothing",
          "[reuse_port]") {
  // Every pair but (true, true), which shares (the test above).
  const auto [first_reuses, second_reuses] =
      GENERATE(std::pair{false, false}, std::pair{false, true}, std::pair{true, false});
  CAPTURE(first_reuses, second_reuses);
  LifeCycle first_handler, second_handler;
  auto first = actnet::start(first_handler, {"tcp://127.0.0.1:0"},
                             {.num_event_loops = 2, .reuse_port = first_reuses});
  REQUIRE(first.ok());
  const actnet::io::SocketAddress address = first->engine().listen_addresses()[0];
  auto second = actnet::start(second_handler, {"tcp://127.0.0.1:" + std::to_string(address.port())},
                              {.num_event_loops = 2, .reuse_port = second_reuses});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == std::errc::address_in_use);
  CHECK(second.error().message.find(std::to_string(address.port())) != std::string::npos);
  CHECK(second_handler.boots == 0);
  CHECK(second_handler.shutdowns == 0);  // never booted, so never shut down

  // The first engine is untouched by the attempt.
  int failures = 0;
  CHECK(echo_rounds(address, 2, 2, 100, failures) == 400);
  CHECK(failures == 0);
  CHECK(first_handler.boots == 1);
  CHECK_FALSE(first->engine().stop(5s));
  CHECK(first->wait().ok());
  CHECK(first_handler.shutdowns == 1);
}
