// Connection deadlines (Conn::set_read_deadline, set_write_deadline, set_deadline): passing
// one closes the connection with Errc::timed_out; a read deadline is absolute (bytes that
// arrive do not move it, re-arming does); a write deadline fires only if bytes still wait
// for a peer that does not read; {} and zero durations clear; re-arming costs no message,
// no wakeup and no heap entry; and at scale exactly the quiet connections are closed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A handler whose callbacks each test fills in; counts closes by their error.
class Hooks : public actnet::EventHandler {
 public:
  std::function<void(actnet::Conn&)> opened;
  std::function<void(actnet::Conn&, std::string_view)> traffic;
  std::atomic<int> timed_out{0}, other_close{0}, traffic_calls{0};

  actnet::Action on_open(actnet::Conn& conn) override {
    if (opened) opened(conn);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    traffic_calls.fetch_add(1, std::memory_order_relaxed);
    const std::string bytes(conn.next());
    if (traffic) traffic(conn, bytes);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    (error == actnet::Errc::timed_out ? timed_out : other_close).fetch_add(1);
    return actnet::Action::none;
  }
};

actnet::RunningEngine start(Hooks& hooks, const actnet::Options& options = {}) {
  auto running = actnet::start(hooks, {"tcp://127.0.0.1:0"}, options);
  REQUIRE(running.ok());
  return std::move(*running);
}

// A client whose receive buffer is small and never read: the server's writes back up.
TestClient deaf_client(const actnet::io::SocketAddress& address) {
  TestClient client(address);
  const int small = 4096;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  return client;
}

}  // namespace

TEST_CASE(
    "a read deadline closes a silent connection with timed_out while one that re-arms it on "
    "every message stays open") {
  Hooks hooks;
  hooks.opened = [](actnet::Conn& conn) { conn.set_read_deadline(300ms); };
  hooks.traffic = [](actnet::Conn& conn, std::string_view bytes) {
    conn.set_read_deadline(300ms);  // Go's idiom: a fresh deadline before each read
    conn.write(bytes);
  };
  auto running = start(hooks, {.num_event_loops = 2});
  const auto address = running.engine().listen_addresses().at(0);
  const auto begin = Clock::now();
  TestClient silent(address), chatty(address);
  for (int i = 0; i < 18; ++i) {  // 900 ms: three deadlines' worth, never quiet for one
    chatty.send_all("hi");
    REQUIRE(chatty.recv_exact(2) == "hi");
    std::this_thread::sleep_for(50ms);
  }
  CHECK(silent.closed_within(5000));
  CHECK(Clock::now() - begin >= 300ms);
  CHECK(hooks.timed_out.load() == 1);
  chatty.send_all("still");
  CHECK(chatty.recv_exact(5) == "still");
  CHECK(chatty.closed_within(5000));  // once it falls silent, it goes the same way
  CHECK(hooks.timed_out.load() == 2);
  CHECK(hooks.other_close.load() == 0);
}

TEST_CASE(
    "a read deadline is absolute: a client trickling bytes without the handler re-arming "
    "it is closed when it passes") {
  Hooks hooks;
  hooks.opened = [](actnet::Conn& conn) { conn.set_read_deadline(Clock::now() + 400ms); };
  hooks.traffic = [](actnet::Conn&, std::string_view) {};  // bytes arrive, the deadline stays
  auto running = start(hooks);
  const auto begin = Clock::now();
  TestClient slow(running.engine().listen_addresses().at(0));
  bool closed = false;
  while (!closed && Clock::now() - begin < 5s) {
    try {
      slow.send_all("x");
    } catch (const std::exception&) {
      break;  // reset by the close
    }
    closed = slow.closed_within(100);
  }
  if (!closed) closed = slow.closed_within(2000);
  CHECK(closed);
  CHECK(Clock::now() - begin >= 400ms);
  CHECK(hooks.traffic_calls.load() >= 2);  // bytes did arrive before it passed
  CHECK(hooks.timed_out.load() == 1);
}

TEST_CASE(
    "a write deadline closes a connection whose peer does not read, and is met and cleared "
    "when the output drains in time") {
  Hooks hooks;
  std::atomic<bool> cleared{false};
  hooks.traffic = [&](actnet::Conn& conn, std::string_view bytes) {
    if (bytes == "big") {
      conn.set_write_deadline(300ms);
      conn.write(std::string(4 * 1024 * 1024, 'b'));  // far more than the socket buffers hold
    } else if (bytes == "small") {
      conn.set_write_deadline(Clock::now() + 200ms);
      conn.write("ok");
    } else if (bytes == "check") {
      cleared = conn.write_deadline() == Clock::time_point{};
      conn.write("checked");
    }
  };
  auto running = start(hooks, {.num_event_loops = 2, .socket_send_buffer = 4096});
  const auto address = running.engine().listen_addresses().at(0);

  TestClient reader(address);
  reader.send_all("small");
  REQUIRE(reader.recv_exact(2) == "ok");
  std::this_thread::sleep_for(400ms);  // past its deadline, with nothing left waiting
  reader.send_all("check");
  CHECK(reader.recv_exact(7) == "checked");
  CHECK(cleared.load());
  CHECK(hooks.timed_out.load() == 0);

  TestClient deaf = deaf_client(address);
  const auto begin = Clock::now();
  deaf.send_all("big");
  REQUIRE(eventually([&] { return hooks.timed_out.load() == 1; }, 5s));
  CHECK(Clock::now() - begin >= 300ms);
  CHECK(hooks.other_close.load() == 0);
  reader.send_all("check");  // the reader is untouched
  CHECK(reader.recv_exact(7) == "checked");
}

TEST_CASE("clearing deadlines with {} or a zero duration keeps the connection open") {
  Hooks hooks;
  hooks.opened = [](actnet::Conn& conn) {
    conn.set_deadline(200ms);
    conn.set_read_deadline(300ms);  // moved later, then cleared below: no entry may fire
  };
  hooks.traffic = [](actnet::Conn& conn, std::string_view bytes) {
    if (bytes == "clear") {
      conn.set_read_deadline({});
      conn.set_write_deadline(0ms);
    }
    conn.write(bytes);
  };
  auto running = start(hooks);
  TestClient client(running.engine().listen_addresses().at(0));
  client.send_all("clear");
  REQUIRE(client.recv_exact(5) == "clear");
  std::this_thread::sleep_for(600ms);
  client.send_all("alive");
  CHECK(client.recv_exact(5) == "alive");
  CHECK(hooks.timed_out.load() == 0);
}

TEST_CASE("set_deadline sets both the read and the write deadline") {
  Hooks hooks;
  std::atomic<bool> both{false};
  hooks.opened = [&](actnet::Conn& conn) {
    const auto when = Clock::now() + 300ms;
    conn.set_deadline(when);
    both = conn.read_deadline() == when && conn.write_deadline() == when;
  };
  hooks.traffic = [](actnet::Conn& conn, std::string_view bytes) {
    if (bytes == "big") {  // reading no longer bounded: only the write deadline is left
      conn.set_read_deadline({});
      conn.write(std::string(4 * 1024 * 1024, 'b'));
    }
  };
  auto running = start(hooks, {.socket_send_buffer = 4096});
  const auto address = running.engine().listen_addresses().at(0);
  TestClient silent(address);
  CHECK(silent.closed_within(5000));  // the read half
  CHECK(both.load());
  CHECK(hooks.timed_out.load() == 1);
  TestClient deaf = deaf_client(address);
  deaf.send_all("big");
  REQUIRE(eventually([&] { return hooks.timed_out.load() == 2; }, 5s));  // the write half
  CHECK(hooks.other_close.load() == 0);
}

TEST_CASE(
    "a deadline set through a ConnRef from another thread closes the connection when it "
    "passes, and a closed connection's ref reports connection_closed") {
  Hooks hooks;
  std::mutex mutex;
  actnet::ConnRef ref;
  hooks.opened = [&](actnet::Conn& conn) {
    std::lock_guard lock(mutex);
    ref = conn.ref();
  };
  auto running = start(hooks);
  TestClient client(running.engine().listen_addresses().at(0));
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return static_cast<bool>(ref);
  }));
  std::lock_guard lock(mutex);
  std::atomic<int> set{0};
  const auto begin = Clock::now();
  CHECK_FALSE(ref.set_read_deadline(begin + 300ms, [&](std::error_code ec) { set = ec ? 2 : 1; }));
  CHECK(client.closed_within(5000));
  CHECK(Clock::now() - begin >= 300ms);
  CHECK(set.load() == 1);
  CHECK(hooks.timed_out.load() == 1);
  std::atomic<int> late{0};
  (void)ref.set_deadline(Clock::now() + 1s, [&](std::error_code ec) {
    late = ec == actnet::Errc::connection_closed ? 1 : 2;
  });
  REQUIRE(eventually([&] { return late.load() != 0; }));
  CHECK(late.load() == 1);
}

TEST_CASE(
    "100,000 deadline re-arms add no mailbox message, no loop wakeup and no deadline heap "
    "entry") {
  constexpr int kRoundTrips = 20'000;
  constexpr int kRearmsPerTraffic = 5;  // 100,000 re-arms in all
  Hooks hooks;
  std::atomic<int> rearms{0};
  hooks.traffic = [&](actnet::Conn& conn, std::string_view bytes) {
    const auto base = Clock::now() + 10s;  // always later than the last: a lazy re-arm
    conn.set_read_deadline(base);
    conn.set_write_deadline(base + 1ms);
    conn.set_deadline(base + 2ms);
    conn.set_read_deadline(std::chrono::seconds(11));
    conn.set_write_deadline(std::chrono::seconds(11) + 1ms);
    rearms.fetch_add(kRearmsPerTraffic, std::memory_order_relaxed);
    conn.write(bytes);
  };
  auto running = start(hooks, {.num_event_loops = 1});
  const actnet::Engine engine = running.engine();
  TestClient client(engine.listen_addresses().at(0));
  client.send_all("x");
  REQUIRE(client.recv_exact(1) == "x");  // armed once: the one entry the connection keeps
  const int calls_before = hooks.traffic_calls.load();
  const actnet::LoopStats before = engine.stats().loops.at(0);

  for (int i = 1; i < kRoundTrips; ++i) {
    client.send_all("x");
    REQUIRE(client.recv_exact(1) == "x");
  }
  const actnet::LoopStats after = engine.stats().loops.at(0);
  const int calls = hooks.traffic_calls.load() - calls_before;
  CHECK(rearms.load() == kRoundTrips * kRearmsPerTraffic);
  CHECK(after.messages_handled == before.messages_handled);
  // One turn per round trip (its wakeup), plus a few for anything else: none per re-arm.
  CHECK(after.turns - before.turns <= static_cast<std::uint64_t>(calls) + 20);
  CHECK(after.deadline_entries <= 2);
  CHECK(hooks.timed_out.load() == 0);
}

namespace {

// The scale test's client side, in a forked child so that each process holds 10,000
// descriptors, not 20,000: reads the server's port from `in`, connects `n` clients and says
// so; on "g" sends each one byte, then a byte every 150 ms on the even ones (the odd ones
// fall quiet) until "c"; then answers how many chatty (even) and quiet (odd) clients saw
// their connection closed.
[[noreturn]] void scale_clients(int in, int out, int n) {
  int status = 1;
  try {
    std::uint16_t port = 0;
    if (::read(in, &port, sizeof port) != sizeof port) ::_exit(1);
    sockaddr_in loopback{};
    loopback.sin_family = AF_INET;
    loopback.sin_port = htons(port);
    loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const actnet::io::SocketAddress address(reinterpret_cast<const sockaddr*>(&loopback),
                                            sizeof loopback);
    std::vector<TestClient> clients;
    clients.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      clients.emplace_back(address);
    char c = 'r';
    if (::write(out, &c, 1) != 1 || ::read(in, &c, 1) != 1) ::_exit(1);
    // A send that fails (the server closed it) is not an error here: the count says.
    auto ping = [](TestClient& client) { (void)::send(client.fd(), "c", 1, MSG_NOSIGNAL); };
    for (auto& client : clients)
      ping(client);
    const auto begin = Clock::now();
    for (;;) {
      pollfd control{in, POLLIN, 0};
      if (::poll(&control, 1, 150) == 1 || Clock::now() - begin > 30s) break;
      for (std::size_t i = 0; i < clients.size(); i += 2)
        ping(clients[i]);
    }
    int closed[2] = {0, 0};  // chatty, quiet
    for (std::size_t i = 0; i < clients.size(); ++i) {
      pollfd p{clients[i].fd(), POLLIN, 0};
      const bool gone = ::poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)) != 0;
      closed[i % 2] += gone ? 1 : 0;
    }
    if (::write(out, closed, sizeof closed) == sizeof closed) status = 0;
  } catch (...) {
  }
  ::_exit(status);
}

}  // namespace

TEST_CASE(
    "of 10,000 connections with read deadlines, exactly the 5,000 that went quiet are closed "
    "with timed_out",
    "[serial]") {
  constexpr int kConnections = 10'000;
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  const rlim_t want = kConnections + 1024;
  if (limit.rlim_cur < want) {
    rlimit raised{std::min(want, limit.rlim_max), limit.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);
  }
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= want);

  // Forked before any engine thread exists: the child is an ordinary one-thread process.
  int to_child[2], from_child[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(from_child) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    scale_clients(to_child[0], from_child[1], kConnections);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  struct Reap {
    pid_t pid;
    int in, out;
    ~Reap() {
      ::close(in);
      ::close(out);
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
      }
    }
  } reap{child, from_child[0], to_child[1]};
  auto talk = [&](char c) { REQUIRE(::write(reap.out, &c, 1) == 1); };
  auto wait_child = [&] {
    pollfd p{reap.in, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 20'000) == 1);
    char c = 0;
    REQUIRE(::read(reap.in, &c, 1) == 1);
  };

  Hooks hooks;
  hooks.traffic = [](actnet::Conn& conn, std::string_view) {
    conn.set_read_deadline(1500ms);  // from its first byte on: quiet that long and it goes
  };
  auto running = start(hooks, {.num_event_loops = 2});
  const actnet::Engine engine = running.engine();
  const std::uint16_t port = engine.listen_addresses().at(0).port();
  REQUIRE(::write(reap.out, &port, sizeof port) == sizeof port);
  wait_child();  // connected
  REQUIRE(eventually([&] { return engine.count_connections() == std::size_t(kConnections); }));
  talk('g');  // the even half keeps talking, the odd half falls quiet after one byte
  REQUIRE(eventually([&] { return hooks.timed_out.load() >= kConnections / 2; }, 15s));
  std::this_thread::sleep_for(300ms);  // any wrong close would show by now
  CHECK(hooks.timed_out.load() == kConnections / 2);
  CHECK(hooks.other_close.load() == 0);
  CHECK(engine.count_connections() == std::size_t(kConnections / 2));
  talk('c');
  int closed[2] = {-1, -1};
  pollfd p{reap.in, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 20'000) == 1);
  REQUIRE(::read(reap.in, closed, sizeof closed) == sizeof closed);
  CHECK(closed[0] == 0);                 // no chatty client lost its connection
  CHECK(closed[1] == kConnections / 2);  // every quiet one did
}
