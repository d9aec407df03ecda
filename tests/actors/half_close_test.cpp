// Half-close: EventHandler::on_eof keeps a connection open for writing after the peer's EOF,
// Conn::shutdown_write / ConnRef::shutdown_write end this side's stream after the bytes
// queued before them, writes after it fail, a connection whose two directions are finished
// closes by itself, the default on_eof still closes at EOF, and a UDP datagram refuses it. Each
// test runs a real engine over 127.0.0.1 with a blocking POSIX client (or an actnet Client) on the
// other end.

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/client_echo.hpp"
#include "actors/test_client.hpp"
#include "actors/udp_test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// An error_code set once on one thread and read on another.
class Outcome {
 public:
  void set(std::error_code ec) {
    std::lock_guard lock(mu_);
    value_ = ec;
  }
  std::optional<std::error_code> get() const {
    std::lock_guard lock(mu_);
    return value_;
  }
  bool has_value() const { return get().has_value(); }

 private:
  mutable std::mutex mu_;
  std::optional<std::error_code> value_;
};

// Collects the request until the peer's EOF, then answers with `reply(request)` and shuts
// its write side: the shape of a request-to-EOF protocol.
class ReplyAfterEof : public actnet::EventHandler {
 public:
  using Reply = std::string (*)(const std::string&);
  explicit ReplyAfterEof(Reply reply) : reply_(reply) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<std::string>();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.context<std::string>()->append(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_eof(actnet::Conn& conn) override {
    eofs.fetch_add(1);
    request_bytes.store(conn.context<std::string>()->size());
    conn.write(reply_(*conn.context<std::string>()));
    conn.shutdown_write([this](std::error_code ec) { shut.set(ec); });
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    closed.set(error);
    return actnet::Action::none;
  }

  std::atomic<int> eofs{0};
  std::atomic<std::size_t> request_bytes{0};
  Outcome shut, closed;

 private:
  Reply reply_;
};

std::string one_mib_reply(const std::string&) {
  return client_echo::random_bytes(kMiB, 42);
}

std::string reversed(const std::string& request) {
  return {request.rbegin(), request.rend()};
}

std::string url_of_first(const actnet::Engine& engine) {
  return "tcp://" + engine.listen_addresses().at(0).to_string();
}

// CPU time this process used so far (every thread).
std::chrono::microseconds cpu_used() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

}  // namespace

TEST_CASE("A client that half-closes after its request still gets a 1 MiB reply written in on_eof",
          "[half_close]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  ReplyAfterEof server_handler(&one_mib_reply);
  auto server = actnet::start(server_handler, {"tcp://127.0.0.1:0"}, {.edge_triggered = edge});
  REQUIRE(server.ok());

  TestClient client(server->engine().listen_addresses().at(0));
  const std::string request = client_echo::random_bytes(200 * 1024, 7);
  client.send_all(request);
  REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
  bool eof = false;
  const std::string reply = client.recv_until_eof(&eof);
  CHECK(eof);
  CHECK(reply.size() == kMiB);
  CHECK(reply == one_mib_reply({}));
  CHECK(server_handler.eofs == 1);
  CHECK(server_handler.request_bytes == request.size());
  REQUIRE(eventually([&] { return server_handler.closed.has_value(); }, 10s));
  // Both directions finished: the server's connection closed by itself, with no error.
  CHECK(server_handler.closed.get() == std::error_code{});
  CHECK(server_handler.shut.get() == std::error_code{});
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
}

TEST_CASE("shutdown_write after a large write delivers every queued byte before the EOF",
          "[half_close]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  const std::string data = client_echo::random_bytes(8 * kMiB, 11);
  struct Sender : actnet::EventHandler {
    const std::string* data = nullptr;
    std::atomic<std::size_t> queued_at_shutdown{0};
    std::atomic<bool> shut_at_once{false};
    Outcome shut, closed;
    actnet::Action on_open(actnet::Conn& conn) override {
      conn.write(*data);
      queued_at_shutdown = conn.outbound_buffered();
      conn.shutdown_write([this](std::error_code ec) { shut.set(ec); });
      shut_at_once = shut.has_value();
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code error) override {
      closed.set(error);
      return actnet::Action::none;
    }
  } sender;
  sender.data = &data;
  auto server = actnet::start(sender, {"tcp://127.0.0.1:0"}, {.edge_triggered = edge});
  REQUIRE(server.ok());

  {
    TestClient client(server->engine().listen_addresses().at(0));
    bool eof = false;
    const std::string got = client.recv_until_eof(&eof);
    CHECK(eof);
    CHECK(got.size() == data.size());
    CHECK(got == data);
    // The kernel could not take 8 MiB at once: the shutdown waited for the flush.
    CHECK(sender.queued_at_shutdown > 0);
    CHECK_FALSE(sender.shut_at_once);
    CHECK(sender.shut.get() == std::error_code{});
    CHECK_FALSE(sender.closed.has_value());  // still open: the client has not finished
  }
  // The client's EOF ends the other direction: the connection closes, cleanly.
  REQUIRE(eventually([&] { return sender.closed.has_value(); }, 10s));
  CHECK(sender.closed.get() == std::error_code{});
}

TEST_CASE("Writes after shutdown_write fail with write_shut_down while reading goes on",
          "[half_close]") {
  struct Shutter : actnet::EventHandler {
    Outcome direct_result, direct_done, ref_done, second_shut, closed;
    std::mutex mu;
    std::string received;
    actnet::Action on_open(actnet::Conn& conn) override {
      conn.shutdown_write();
      direct_result.set(conn.write("late", [this](std::error_code ec) { direct_done.set(ec); }));
      (void)conn.ref().async_write("later", [this](std::error_code ec) { ref_done.set(ec); });
      conn.shutdown_write([this](std::error_code ec) { second_shut.set(ec); });  // idempotent
      return actnet::Action::none;
    }
    actnet::Action on_traffic(actnet::Conn& conn) override {
      std::lock_guard lock(mu);
      received.append(conn.next());
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code error) override {
      closed.set(error);
      return actnet::Action::none;
    }
  } shutter;
  auto server = actnet::start(shutter, {"tcp://127.0.0.1:0"});
  REQUIRE(server.ok());
  {
    TestClient client(server->engine().listen_addresses().at(0));
    bool eof = false;
    CHECK(client.recv_until_eof(&eof).empty());  // nothing written reached the peer
    CHECK(eof);
    REQUIRE(eventually([&] { return shutter.ref_done.has_value(); }));
    const std::error_code shut_down = actnet::Errc::write_shut_down;
    CHECK(shutter.direct_result.get() == shut_down);
    CHECK(shutter.direct_done.get() == shut_down);
    CHECK(shutter.ref_done.get() == shut_down);
    CHECK(shutter.second_shut.get() == std::error_code{});
    // The connection still reads.
    client.send_all("still listening");
    CHECK(eventually([&] {
      std::lock_guard lock(shutter.mu);
      return shutter.received == "still listening";
    }));
    CHECK(server->engine().count_connections() == 1);
    CHECK_FALSE(shutter.closed.has_value());
  }
  REQUIRE(eventually([&] { return shutter.closed.has_value(); }));
  CHECK(shutter.closed.get() == std::error_code{});
}

TEST_CASE("A handler with the default on_eof closes the connection at the peer's EOF",
          "[half_close]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  struct Plain : actnet::EventHandler {
    Outcome closed;
    actnet::Action on_traffic(actnet::Conn& conn) override {
      conn.write(conn.next());
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code error) override {
      closed.set(error);
      return actnet::Action::none;
    }
  } plain;
  auto server = actnet::start(plain, {"tcp://127.0.0.1:0"}, {.edge_triggered = edge});
  REQUIRE(server.ok());
  TestClient client(server->engine().listen_addresses().at(0));
  client.send_all("bye");
  CHECK(client.recv_exact(3) == "bye");
  REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
  CHECK(client.closed_within(5000));
  REQUIRE(eventually([&] { return plain.closed.has_value(); }));
  CHECK(plain.closed.get() == std::error_code(actnet::Errc::end_of_stream));
}

TEST_CASE("A connection kept open after the peer's EOF stops reading, and an engine stop closes it",
          "[half_close]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  struct Keeper : actnet::EventHandler {
    std::atomic<int> eofs{0}, traffics{0};
    std::atomic<bool> flag_in_eof{false};
    Outcome closed;
    actnet::Action on_traffic(actnet::Conn& conn) override {
      traffics.fetch_add(1);
      conn.discard();
      return actnet::Action::none;
    }
    actnet::Action on_eof(actnet::Conn& conn) override {
      flag_in_eof = conn.peer_shut_down();
      // A second EOF would mean the loop read on past the first one: close to show it.
      return eofs.fetch_add(1) == 0 ? actnet::Action::none : actnet::Action::close;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code error) override {
      closed.set(error);
      return actnet::Action::none;
    }
  } keeper;
  auto server = actnet::start(keeper, {"tcp://127.0.0.1:0"},
                              {.edge_triggered = edge, .stop_timeout = 1000ms});
  REQUIRE(server.ok());
  TestClient client(server->engine().listen_addresses().at(0));
  client.send_all("request");
  REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
  REQUIRE(eventually([&] { return keeper.eofs == 1; }));
  CHECK(keeper.flag_in_eof);
  // A loop that kept reading a socket at EOF would spin, calling on_eof again and again.
  const auto cpu_before = cpu_used();
  ::usleep(500'000);
  const auto cpu_spent = cpu_used() - cpu_before;
  CHECK(cpu_spent < 150ms);
  CHECK(keeper.eofs == 1);
  CHECK(keeper.traffics == 1);
  CHECK_FALSE(keeper.closed.has_value());
  CHECK(server->engine().count_connections() == 1);

  CHECK_FALSE(server->engine().stop());
  CHECK(server->wait().ok());
  CHECK(keeper.closed.get() == std::error_code(actnet::Errc::shutting_down));
  CHECK(client.closed_within(2000));
}

TEST_CASE("ConnRef::shutdown_write from another thread follows the bytes that thread wrote",
          "[half_close]") {
  struct Holder : actnet::EventHandler {
    std::mutex mu;
    actnet::ConnRef ref;
    actnet::Action on_open(actnet::Conn& conn) override {
      std::lock_guard lock(mu);
      ref = conn.ref();
      return actnet::Action::none;
    }
  } holder;
  auto server = actnet::start(holder, {"tcp://127.0.0.1:0"});
  REQUIRE(server.ok());
  TestClient client(server->engine().listen_addresses().at(0));
  actnet::ConnRef ref;
  REQUIRE(eventually([&] {
    std::lock_guard lock(holder.mu);
    ref = holder.ref;
    return static_cast<bool>(ref);
  }));
  const std::string first = client_echo::random_bytes(3 * kMiB, 1);
  const std::string second = client_echo::random_bytes(kMiB, 2);
  Outcome shut, late;
  CHECK_FALSE(ref.async_write(first));
  CHECK_FALSE(ref.async_write(second));
  CHECK_FALSE(ref.shutdown_write([&](std::error_code ec) { shut.set(ec); }));
  bool eof = false;
  const std::string got = client.recv_until_eof(&eof);
  CHECK(eof);
  CHECK(got.size() == first.size() + second.size());
  CHECK(got == first + second);
  REQUIRE(eventually([&] { return shut.has_value(); }));
  CHECK(shut.get() == std::error_code{});
  CHECK_FALSE(ref.async_write("late", [&](std::error_code ec) { late.set(ec); }));
  REQUIRE(eventually([&] { return late.has_value(); }));
  CHECK(late.get() == std::error_code(actnet::Errc::write_shut_down));
}

TEST_CASE("A Client connection sends its request, half-closes, and reads the whole reply to EOF",
          "[half_close]") {
  ReplyAfterEof server_handler(&reversed);
  auto server = actnet::start(server_handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());

  const std::string request = client_echo::random_bytes(kMiB, 5);
  struct Requester : actnet::EventHandler {
    const std::string* request = nullptr;
    std::mutex mu;
    std::string reply;
    std::atomic<int> eofs{0};
    Outcome shut, closed;
    actnet::Action on_open(actnet::Conn& conn) override {
      conn.write(*request);
      conn.shutdown_write([this](std::error_code ec) { shut.set(ec); });
      return actnet::Action::none;
    }
    actnet::Action on_traffic(actnet::Conn& conn) override {
      std::lock_guard lock(mu);
      reply.append(conn.next());
      return actnet::Action::none;
    }
    actnet::Action on_eof(actnet::Conn&) override {
      eofs.fetch_add(1);
      return actnet::Action::close;  // the default; the connection closes either way
    }
    actnet::Action on_close(actnet::Conn&, std::error_code error) override {
      closed.set(error);
      return actnet::Action::none;
    }
  } requester;
  requester.request = &request;
  auto client = actnet::Client::start(requester);
  REQUIRE(client.ok());
  CHECK_FALSE(client->dial(url_of_first(server->engine()), {.timeout = 5s}));
  REQUIRE(eventually([&] { return requester.closed.has_value(); }, 20s));
  CHECK(requester.shut.get() == std::error_code{});
  CHECK(requester.eofs == 1);
  // Its own stream was already shut when the reply's EOF came: a clean close.
  CHECK(requester.closed.get() == std::error_code{});
  {
    std::lock_guard lock(requester.mu);
    CHECK(requester.reply.size() == request.size());
    CHECK(requester.reply == reversed(request));
  }
  REQUIRE(eventually([&] { return server_handler.closed.has_value(); }));
  CHECK(server_handler.closed.get() == std::error_code{});
  CHECK(server_handler.request_bytes == request.size());
  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
}

TEST_CASE("A UDP listener's datagram has no write side to shut", "[half_close]") {
  struct Datagrams : actnet::EventHandler {
    actnet::Action on_traffic(actnet::Conn& conn) override {
      const std::error_code shut = conn.shutdown_write();
      conn.write(shut == actnet::Errc::unsupported ? "unsupported" : "shut: " + shut.message());
      conn.discard();
      return actnet::Action::none;
    }
  } datagrams;
  auto server = actnet::start(datagrams, {"udp4://127.0.0.1:0"});
  REQUIRE(server.ok());
  UdpTestSocket socket(AF_INET);
  socket.send_to(server->engine().listen_addresses().at(0), "hello");
  CHECK(socket.recv() == std::optional<std::string>("unsupported"));
}
