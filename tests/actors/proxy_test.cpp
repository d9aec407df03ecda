// The reverse proxy demo's handler (demos/proxy/proxy_handler.hpp) run in-process between
// loopback clients and an in-process upstream engine: bytes pass both ways unchanged under
// concurrency, an upstream that never reads keeps the proxy's memory bounded, a closing
// downstream closes its upstream, a dead upstream closes the downstream, and a half-close
// passes through in either direction after the bytes before it.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../../demos/proxy/proxy_handler.hpp"
#include "actnet/actnet.hpp"
#include "actors/client_echo.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// The upstream: echoes, or (reads = false) accepts and never reads a byte.
class Upstream : public actnet::EventHandler {
 public:
  explicit Upstream(bool reads) : reads_(reads) {}
  actnet::Action on_open(actnet::Conn& conn) override {
    opened.fetch_add(1);
    if (!reads_) conn.pause_reading();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (reads_) conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code) override {
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  std::atomic<int> opened{0}, closed{0};

 private:
  bool reads_;
};

std::string url_of(const actnet::io::SocketAddress& address) {
  return "tcp://" + address.to_string();
}

std::uint64_t buffer_bytes(const actnet::Engine& engine) {
  std::uint64_t total = 0;
  for (const auto& loop : engine.stats().loops)
    total += loop.buffer_bytes;
  return total;
}

// Sends without blocking until the kernel has taken nothing for `quiet`, or `limit` passed.
// Returns the bytes sent this call.
std::size_t send_until_blocked(int fd, std::chrono::milliseconds quiet,
                               std::chrono::milliseconds limit) {
  const std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  const auto end = std::chrono::steady_clock::now() + limit;
  auto last_progress = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < end &&
         std::chrono::steady_clock::now() - last_progress < quiet) {
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      last_progress = std::chrono::steady_clock::now();
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    pollfd p{fd, POLLOUT, 0};
    (void)::poll(&p, 1, 20);
  }
  return sent;
}

// A loopback port that was just free: dialling it is refused.
std::string dead_url() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  const actnet::io::SocketAddress address(reinterpret_cast<sockaddr*>(&sin), len);
  ::close(fd);
  return url_of(address);
}

}  // namespace

TEST_CASE("A proxy passes 1 MiB each way for many concurrent clients, byte for byte",
          "[proxy][concurrency]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  Upstream echo(true);
  auto upstream = actnet::start(echo, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({url_of(upstream->engine().listen_addresses().at(0))});
  auto server =
      actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(server.ok());
  const std::string proxy_url = url_of(server->engine().listen_addresses().at(0));

  client_echo::EchoDriver driver;
  auto client = actnet::Client::start(driver, {.num_event_loops = 2});
  REQUIRE(client.ok());
  constexpr int kConns = 100;
  std::atomic<int> dial_failures{0};
  for (int i = 0; i < kConns; ++i) {
    client_echo::EchoState state{client_echo::random_bytes(kMiB, 1000 + i)};
    CHECK_FALSE(client->dial(proxy_url, {.timeout = 5s, .context = std::move(state)},
                             [&](std::error_code ec, actnet::ConnRef) {
                               if (ec) dial_failures.fetch_add(1);
                             }));
  }
  CHECK(eventually([&] { return driver.ok + driver.bad + dial_failures >= kConns; }, 60s));
  CHECK(dial_failures == 0);
  CHECK(driver.bad == 0);
  CHECK(driver.ok == kConns);
  CHECK(proxy.dial_failures == 0);
  // Every client closed after its echo: the proxy closed every upstream connection too.
  CHECK(eventually([&] { return echo.closed == kConns; }));
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
}

TEST_CASE("A proxy whose upstream never reads stops reading its client instead of buffering",
          "[proxy]") {
  Upstream deaf(false);
  auto upstream = actnet::start(deaf, {"tcp://127.0.0.1:0"});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({url_of(upstream->engine().listen_addresses().at(0))});
  auto server =
      actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .stop_timeout = 500ms});
  REQUIRE(server.ok());

  TestClient client(server->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return deaf.opened == 1; }));
  const std::size_t first = send_until_blocked(client.fd(), 1s, 30s);
  const std::uint64_t held = buffer_bytes(server->engine());
  // More than the proxy's high water went in, so its pause was what stopped the client.
  CHECK(first > proxy::ProxyHandler::kHighWater);
  CHECK(first < 256 * kMiB);
  CHECK(held < 4 * kMiB);  // high water, one read, the buffers rounded up
  // A second try a moment later: the client's sends stay blocked and the proxy holds no more.
  const std::size_t second = send_until_blocked(client.fd(), 500ms, 5s);
  CHECK(second <= kMiB);
  CHECK(buffer_bytes(server->engine()) < 4 * kMiB);
  CHECK(deaf.closed == 0);
}

TEST_CASE("A downstream that closes makes the proxy close its upstream connection", "[proxy]") {
  Upstream echo(true);
  auto upstream = actnet::start(echo, {"tcp://127.0.0.1:0"});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({url_of(upstream->engine().listen_addresses().at(0))});
  auto server = actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());
  {
    TestClient client(server->engine().listen_addresses().at(0));
    client.send_all("hello through the proxy");
    CHECK(client.recv_exact(23) == "hello through the proxy");
    CHECK(echo.opened == 1);
    CHECK(echo.closed == 0);
  }
  CHECK(eventually([&] { return echo.closed == 1; }));
  CHECK(eventually([&] { return proxy.up_closed == 1; }));
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
}

TEST_CASE("A proxy closes the downstream when its upstream cannot be dialled", "[proxy]") {
  proxy::ProxyHandler proxy({dead_url()});
  auto server = actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());
  TestClient client(server->engine().listen_addresses().at(0));
  client.send_all("nobody will read this");
  CHECK(client.closed_within(5000));
  CHECK(proxy.dial_failures == 1);
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
}

TEST_CASE("A proxy reaches a unix socket upstream", "[proxy]") {
  const std::string path = "/tmp/actnet-proxy-test-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  Upstream echo(true);
  auto upstream = actnet::start(echo, {"unix://" + path});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({"unix://" + path});
  auto server = actnet::start(proxy, {"tcp://127.0.0.1:0"});
  REQUIRE(server.ok());
  {
    TestClient client(server->engine().listen_addresses().at(0));
    const std::string data = client_echo::random_bytes(kMiB, 7);
    client.send_all(data.substr(0, 512 * 1024));
    CHECK(client.recv_exact(512 * 1024) == data.substr(0, 512 * 1024));
    client.send_all(data.substr(512 * 1024));
    CHECK(client.recv_exact(512 * 1024) == data.substr(512 * 1024));
  }
  CHECK(eventually([&] { return echo.closed == 1; }));
  ::unlink(path.c_str());
}

namespace {

// An upstream for request-to-EOF protocols: reads the request until the proxy passes the
// client's EOF on, only then replies with the request reversed, and shuts its write side;
// the connection then closes by itself (both directions finished).
class ReverseAfterEof : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<std::string>();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.context<std::string>()->append(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_eof(actnet::Conn& conn) override {
    const std::string& request = *conn.context<std::string>();
    received.store(request.size());
    conn.write(std::string(request.rbegin(), request.rend()));
    conn.shutdown_write();
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (!error) clean_closes.fetch_add(1);
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  std::atomic<std::size_t> received{0};
  std::atomic<int> closed{0}, clean_closes{0};
};

// An upstream that speaks first: a banner, then its EOF, and reads the client to EOF after.
class BannerThenListen : public actnet::EventHandler {
 public:
  explicit BannerThenListen(std::string banner) : banner_(std::move(banner)) {}
  actnet::Action on_open(actnet::Conn& conn) override {
    conn.write(banner_);
    conn.shutdown_write();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    received.fetch_add(conn.discard());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (!error) clean_closes.fetch_add(1);
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  std::atomic<std::size_t> received{0};
  std::atomic<int> closed{0}, clean_closes{0};

 private:
  std::string banner_;
};

}  // namespace

TEST_CASE("A client that half-closes through the proxy gets the reply its upstream sends at EOF",
          "[proxy][half_close]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  ReverseAfterEof reverser;
  auto upstream = actnet::start(reverser, {"tcp://127.0.0.1:0"});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({url_of(upstream->engine().listen_addresses().at(0))});
  auto server =
      actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(server.ok());

  const std::string request = client_echo::random_bytes(3 * kMiB, 99);
  {
    TestClient client(server->engine().listen_addresses().at(0));
    client.send_all(request);
    REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
    bool eof = false;
    const std::string reply = client.recv_until_eof(&eof);
    CHECK(eof);
    CHECK(reverser.received == request.size());
    CHECK(reply.size() == request.size());
    CHECK(reply == std::string(request.rbegin(), request.rend()));
  }
  // Every side finished both directions: closed by itself, cleanly, nothing left open.
  CHECK(eventually([&] { return reverser.closed == 1; }));
  CHECK(reverser.clean_closes == 1);
  CHECK(eventually([&] { return proxy.up_closed == 1; }));
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
}

TEST_CASE("An upstream that ends its stream first still gets everything the client sends after",
          "[proxy][half_close]") {
  const std::string banner = client_echo::random_bytes(512 * 1024, 3);
  BannerThenListen listener(banner);
  auto upstream = actnet::start(listener, {"tcp://127.0.0.1:0"});
  REQUIRE(upstream.ok());
  proxy::ProxyHandler proxy({url_of(upstream->engine().listen_addresses().at(0))});
  auto server = actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());

  TestClient client(server->engine().listen_addresses().at(0));
  bool eof = false;
  CHECK(client.recv_until_eof(&eof) == banner);  // the banner, then the upstream's EOF
  CHECK(eof);
  const std::string data = client_echo::random_bytes(2 * kMiB, 4);
  client.send_all(data);
  REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
  CHECK(eventually([&] { return listener.closed == 1; }));
  CHECK(listener.received == data.size());
  CHECK(listener.clean_closes == 1);
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
}
