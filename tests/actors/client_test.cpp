// actnet's own Client against actnet servers and plain sockets over loopback: the echo
// matrix with half the connections dialled and half enrolled, reading to EOF before
// on_close, refused and timed-out dials (the loop serving other connections meanwhile),
// dials after stop, and a client attached to a running engine's loops.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/resolve.hpp"
#include "actors/client_echo.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

std::string url_of(const actnet::io::SocketAddress& address) {
  return "tcp://" + address.to_string();
}

// A dial's outcome, filled on a loop, read on the main thread after `done`.
struct DialOutcome {
  std::promise<std::error_code> promise;
  std::future<std::error_code> future = promise.get_future();
  actnet::DialCallback callback() {
    return [this](std::error_code ec, actnet::ConnRef) { promise.set_value(ec); };
  }
};

// A loopback TCP listener that never accepts, with listen backlog 0.
struct SilentListener {
  int fd = -1;
  actnet::io::SocketAddress address;
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd, 0) != 0) {
      throw std::runtime_error("silent listener: " + std::string(std::strerror(errno)));
    }
    socklen_t len = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    address = actnet::io::SocketAddress(reinterpret_cast<sockaddr*>(&sin), len);
  }
  ~SilentListener() { ::close(fd); }
};

}  // namespace

TEST_CASE(
    "A client echoes 1 MiB per connection with half its connections dialled and half "
    "enrolled",
    "[client][matrix][concurrency]") {
  const std::string address = GENERATE(as<std::string>{}, "tcp4://127.0.0.1:0", "tcp6://[::1]:0");
  const std::size_t loops = GENERATE(as<std::size_t>{}, 1, 4);
  const bool edge = GENERATE(false, true);
  CAPTURE(address, loops, edge);

  Echo echo;
  auto server = actnet::start(echo, {address}, {.num_event_loops = loops, .edge_triggered = edge});
  REQUIRE(server.ok());
  const actnet::io::SocketAddress bound = server->engine().listen_addresses().at(0);

  client_echo::EchoDriver driver;
  auto client = actnet::Client::start(driver, {.num_event_loops = loops, .edge_triggered = edge});
  REQUIRE(client.ok());

  constexpr int kConns = 10;
  std::atomic<int> dial_failures{0};
  for (int i = 0; i < kConns; ++i) {
    client_echo::EchoState state{client_echo::random_bytes(kMiB, loops * 100 + edge * 10 + i)};
    actnet::DialOptions options{.timeout = 5s, .context = std::move(state)};
    auto done = [&](std::error_code ec, actnet::ConnRef) {
      if (ec) dial_failures.fetch_add(1);
    };
    if (i % 2 == 0) {
      CHECK_FALSE(client->dial(url_of(bound), std::move(options), done));
    } else {
      const int fd = client_echo::connect_blocking(bound);
      REQUIRE(fd >= 0);
      CHECK_FALSE(client->enroll(actnet::io::UniqueFd(fd), std::move(options), done));
    }
  }
  CHECK(eventually([&] { return driver.ok + driver.bad + dial_failures >= kConns; }, 60s));
  CHECK(dial_failures == 0);
  CHECK(driver.bad == 0);
  CHECK(driver.ok == kConns);
  CHECK(eventually([&] { return client->count_connections() == 0; }));
  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
  CHECK(driver.closed == kConns);
}

namespace {

// Counts what arrives and checks it is all there when on_close runs.
class Collector : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    const std::string_view got = conn.next();
    received.append(got);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code ec) override {
    bytes_at_close.store(received.size());
    error_at_close.set_value(ec);
    return actnet::Action::none;
  }
  std::string received;  // loop only
  std::atomic<std::size_t> bytes_at_close{0};
  std::promise<std::error_code> error_at_close;
};

}  // namespace

TEST_CASE("A client receives everything a server wrote before it closed, before on_close",
          "[client]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  SilentListener listener;  // accepts below, by hand
  const std::string data = client_echo::random_bytes(kMiB, 7 + edge);
  std::thread server([&] {
    pollfd p{listener.fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return;
    const int fd = ::accept(listener.fd, nullptr, nullptr);
    if (fd < 0) return;
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });

  Collector collector;
  auto client = actnet::Client::start(collector, {.edge_triggered = edge});
  REQUIRE(client.ok());
  DialOutcome dialled;
  CHECK_FALSE(client->dial(url_of(listener.address), {.timeout = 5s}, dialled.callback()));
  REQUIRE(dialled.future.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(dialled.future.get());
  auto closed = collector.error_at_close.get_future();
  REQUIRE(closed.wait_for(20s) == std::future_status::ready);
  CHECK(closed.get() == actnet::Errc::end_of_stream);
  CHECK(collector.bytes_at_close == kMiB);
  server.join();
  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
  CHECK(collector.received == data);  // the loops have stopped: safe to read now
}

TEST_CASE("A dial to a closed port reports connection refused and opens nothing", "[client]") {
  actnet::io::SocketAddress closed_port;
  {
    SilentListener gone;  // bound, read back, closed: nothing listens there now
    closed_port = gone.address;
  }
  client_echo::EchoDriver driver;
  auto client = actnet::Client::start(driver);
  REQUIRE(client.ok());
  DialOutcome dialled;
  CHECK_FALSE(client->dial(url_of(closed_port), {.timeout = 5s}, dialled.callback()));
  REQUIRE(dialled.future.wait_for(10s) == std::future_status::ready);
  CHECK(dialled.future.get() == std::errc::connection_refused);
  CHECK(driver.opened == 0);
  CHECK(driver.closed == 0);
}

namespace {

// Keeps the first connection's ref and notes when a reply arrives on it.
class Pinger : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mutex);
    ref = conn.ref();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    replies.append(conn.next());
    if (replies.size() >= 4 && !replied.load()) {
      replied_at = Clock::now();
      replied.store(true);
    }
    return actnet::Action::none;
  }
  std::mutex mutex;
  actnet::ConnRef ref;
  std::string replies;           // loop only
  Clock::time_point replied_at;  // written before `replied` is set
  std::atomic<bool> replied{false};
};

}  // namespace

TEST_CASE("A dial to a listener whose backlog is full times out while the loop serves others",
          "[client]") {
  Echo echo;
  auto server = actnet::start(echo, {"tcp4://127.0.0.1:0"});
  REQUIRE(server.ok());
  Pinger pinger;
  auto client = actnet::Client::start(pinger);  // one loop: the dial and the echo share it
  REQUIRE(client.ok());
  DialOutcome first;
  CHECK_FALSE(
      client->dial(url_of(server->engine().listen_addresses().at(0)), {}, first.callback()));
  REQUIRE(first.future.wait_for(10s) == std::future_status::ready);
  REQUIRE_FALSE(first.future.get());

  // Fill the silent listener's accept queue: connect until a connect no longer completes
  // (its SYN is dropped), holding every socket open.
  SilentListener full;
  std::vector<actnet::io::UniqueFd> fillers;
  bool saturated = false;
  for (int i = 0; i < 16 && !saturated; ++i) {
    actnet::io::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::connect(fd.get(), full.address.data(), full.address.size());
    pollfd p{fd.get(), POLLOUT, 0};
    saturated = ::poll(&p, 1, 200) == 0;
    fillers.push_back(std::move(fd));
  }
  REQUIRE(saturated);

  DialOutcome stuck;
  const auto started = Clock::now();
  CHECK_FALSE(client->dial(url_of(full.address), {.timeout = 200ms}, stuck.callback()));
  actnet::ConnRef ref;
  {
    std::lock_guard lock(pinger.mutex);
    ref = pinger.ref;
  }
  CHECK_FALSE(ref.async_write("ping"));  // served while the dial waits
  REQUIRE(stuck.future.wait_for(5s) == std::future_status::ready);
  const auto finished = Clock::now();
  CHECK(stuck.future.get() == actnet::Errc::timed_out);
  CHECK(finished - started >= 190ms);
  CHECK(finished - started < 1s);
  REQUIRE(eventually([&] { return pinger.replied.load(); }, 5s));
  CHECK(pinger.replied_at < finished);
}

TEST_CASE("Dials after a client stopped fail with shutting_down on the caller's thread",
          "[client]") {
  client_echo::EchoDriver driver;
  auto client = actnet::Client::start(driver, {.num_event_loops = 2});
  REQUIRE(client.ok());
  CHECK_FALSE(client->stop());
  CHECK(client->stop() == actnet::Errc::shutting_down);
  CHECK(client->wait().ok());
  std::error_code seen;
  CHECK(client->dial("tcp://127.0.0.1:1", {}, [&](std::error_code ec, actnet::ConnRef) {
    seen = ec;
  }) == actnet::Errc::shutting_down);
  CHECK(seen == actnet::Errc::shutting_down);
  CHECK(client->dial("tcp://127.0.0.1:99999") == std::errc::invalid_argument);
}

TEST_CASE(
    "A client attached to an engine dials on its loops and closes only its own "
    "connections on stop",
    "[client][concurrency]") {
  Echo echo;
  auto server = actnet::start(echo, {"tcp4://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());
  actnet::Engine engine = server->engine();
  const actnet::io::SocketAddress bound = engine.listen_addresses().at(0);

  Collector collector;
  auto client = actnet::Client::attach(collector, engine);
  REQUIRE(client.ok());
  DialOutcome dialled;
  actnet::ConnRef ref;
  CHECK_FALSE(client->dial(url_of(bound), {}, [&](std::error_code ec, actnet::ConnRef r) {
    ref = r;
    dialled.promise.set_value(ec);
  }));
  REQUIRE(dialled.future.wait_for(10s) == std::future_status::ready);
  REQUIRE_FALSE(dialled.future.get());
  // Both ends live on the engine's loops: the accepted end echoes, the dialled end collects.
  CHECK(eventually([&] { return engine.count_connections() == 2; }));
  CHECK(client->count_connections() == 1);
  TestClient outsider(bound);
  CHECK(eventually([&] { return engine.count_connections() == 3; }));

  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
  auto closed = collector.error_at_close.get_future();
  REQUIRE(closed.wait_for(5s) == std::future_status::ready);
  CHECK(closed.get() == actnet::Errc::shutting_down);
  CHECK(client->count_connections() == 0);
  // The engine and its other connection keep working.
  outsider.send_all("still here");
  CHECK(outsider.recv_exact(10) == "still here");
  std::promise<std::error_code> late;
  (void)ref.async_write("x", [&](std::error_code ec) { late.set_value(ec); });
  auto late_outcome = late.get_future();
  REQUIRE(late_outcome.wait_for(5s) == std::future_status::ready);
  CHECK(late_outcome.get() == actnet::Errc::connection_closed);
}

namespace {

// Counts wakes and remembers how its connection closed.
class Waker : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.inbound_buffered() == 0) wakes.fetch_add(1);
    conn.discard();
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code ec) override {
    closed_with.set_value(ec);
    return actnet::Action::none;
  }
  std::atomic<int> wakes{0};
  std::promise<std::error_code> closed_with;
};

}  // namespace

TEST_CASE(
    "A dialled connection's ConnRef writes, wakes and closes it from another thread and "
    "fails cleanly afterwards",
    "[client]") {
  Echo echo;
  auto server = actnet::start(echo, {"tcp4://127.0.0.1:0"});
  REQUIRE(server.ok());
  Waker waker;
  auto client = actnet::Client::start(waker, {.num_event_loops = 2});
  REQUIRE(client.ok());
  std::promise<actnet::ConnRef> dialled;
  CHECK_FALSE(client->dial(url_of(server->engine().listen_addresses().at(0)), {},
                           [&](std::error_code ec, actnet::ConnRef ref) {
                             if (!ec) dialled.set_value(ref);
                           }));
  auto future = dialled.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  const actnet::ConnRef ref = future.get();
  REQUIRE(ref);

  std::promise<std::error_code> written, woken, closed;
  CHECK_FALSE(ref.async_write("hello", [&](std::error_code ec) { written.set_value(ec); }));
  CHECK_FALSE(ref.wake([&](std::error_code ec) { woken.set_value(ec); }));
  auto w = written.get_future();
  auto k = woken.get_future();
  REQUIRE(w.wait_for(5s) == std::future_status::ready);
  REQUIRE(k.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(w.get());
  CHECK_FALSE(k.get());
  CHECK(waker.wakes >= 1);

  CHECK_FALSE(ref.close([&](std::error_code ec) { closed.set_value(ec); }));
  auto c = closed.get_future();
  REQUIRE(c.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(c.get());
  auto why = waker.closed_with.get_future();
  REQUIRE(why.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(why.get());  // a close this side asked for

  std::promise<std::error_code> late;
  (void)ref.async_write("late", [&](std::error_code ec) { late.set_value(ec); });
  auto l = late.get_future();
  REQUIRE(l.wait_for(5s) == std::future_status::ready);
  CHECK(l.get() == actnet::Errc::connection_closed);
  CHECK(eventually([&] { return client->count_connections() == 0; }));
}

TEST_CASE("A dial tries each resolved address in turn until one connects", "[client]") {
  if (!actnet::io::ipv6_supported()) return;  // "tcp://:port" is then 127.0.0.1 alone
  Echo echo;
  auto server = actnet::start(echo, {"tcp6://[::1]:0"});  // nothing on 127.0.0.1 at this port
  REQUIRE(server.ok());
  const std::uint16_t port = server->engine().listen_addresses().at(0).port();
  Collector collector;
  auto client = actnet::Client::start(collector);
  REQUIRE(client.ok());
  std::promise<std::error_code> dialled;
  // An empty host dials this machine: 127.0.0.1 first (refused here), then ::1.
  CHECK_FALSE(client->dial("tcp://:" + std::to_string(port), {.timeout = 5s},
                           [&](std::error_code ec, actnet::ConnRef) { dialled.set_value(ec); }));
  auto outcome = dialled.get_future();
  REQUIRE(outcome.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(outcome.get());
  CHECK(eventually([&] { return server->engine().count_connections() == 1; }));
  CHECK(server->engine().stats().loops.at(0).connections == 1);
}
