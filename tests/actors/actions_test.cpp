// What a handler's returned Action does (Close, Shutdown from on_open and on_traffic), the
// order of bytes written in on_open, the error on_close receives for each way a connection
// ends, and a handler that throws. Each test runs a real engine over 127.0.0.1.

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// What the scripted handler does; everything off by default (then it echoes).
struct Script {
  actnet::Action open = actnet::Action::none;     // returned from on_open
  actnet::Action traffic = actnet::Action::none;  // returned from on_traffic
  std::string greeting;                           // written in on_open
  int shutdown_on_open = 0;                       // the n-th on_open (1-based) returns shutdown
  bool shutdown_on_stop = false;                  // on_traffic returns shutdown on "stop"
  bool throw_on_boom = false;                     // on_traffic throws on "boom"
  bool throw_in_open = false;
};

class Scripted : public actnet::EventHandler {
 public:
  explicit Scripted(Script script) : script_(std::move(script)) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    const int n = opens.fetch_add(1) + 1;
    if (!script_.greeting.empty()) conn.write(script_.greeting);
    if (script_.throw_in_open) throw std::runtime_error("on_open fails on purpose");
    if (n == script_.shutdown_on_open) return actnet::Action::shutdown;
    return script_.open;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    traffics.fetch_add(1);
    const std::string data(conn.next());
    if (script_.throw_on_boom && data.find("boom") != std::string::npos) {
      throw std::runtime_error("on_traffic fails on purpose");
    }
    conn.write(data);
    if (script_.shutdown_on_stop && data.find("stop") != std::string::npos) {
      return actnet::Action::shutdown;
    }
    return script_.traffic;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    {
      std::lock_guard lock(mu_);
      close_errors_.push_back(error);
    }
    closes.fetch_add(1);
    return actnet::Action::none;
  }
  void on_shutdown(actnet::Engine&) override {
    closes_at_shutdown.store(closes.load());
    shutdowns.fetch_add(1);
  }

  std::vector<std::error_code> close_errors() {
    std::lock_guard lock(mu_);
    return close_errors_;
  }

  std::atomic<int> opens{0}, traffics{0}, closes{0}, shutdowns{0}, closes_at_shutdown{-1};

 private:
  const Script script_;
  std::mutex mu_;
  std::vector<std::error_code> close_errors_;
};

actnet::RunningEngine start_engine(Scripted& handler, std::size_t loops = 2) {
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = loops});
  REQUIRE(running.ok());
  return std::move(*running);
}

actnet::io::SocketAddress address_of(actnet::RunningEngine& running) {
  return running.engine().listen_addresses().at(0);
}

}  // namespace

TEST_CASE("Close returned from on_open closes the connection before any traffic", "[actions]") {
  Scripted handler({.open = actnet::Action::close});
  auto running = start_engine(handler);
  for (int i = 0; i < 3; ++i) {
    TestClient client(address_of(running));
    bool eof = false;
    CHECK(client.recv_until_eof(&eof).empty());
    CHECK(eof);
  }
  REQUIRE(eventually([&] { return handler.closes.load() == 3; }));
  CHECK(handler.traffics.load() == 0);
  for (std::error_code e : handler.close_errors())
    CHECK_FALSE(e);  // a close this side asked for
  CHECK(running.engine().count_connections() == 0);
}

TEST_CASE("Close returned from on_traffic closes the connection after the bytes it wrote",
          "[actions]") {
  Scripted handler({.traffic = actnet::Action::close});
  auto running = start_engine(handler);
  TestClient other(address_of(running));  // stays open: only the one connection closes
  TestClient client(address_of(running));
  client.send_all("last words");
  bool eof = false;
  CHECK(client.recv_until_eof(&eof) == "last words");
  CHECK(eof);
  REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
  CHECK_FALSE(handler.close_errors().at(0));
  CHECK_FALSE(other.closed_within(100));
  CHECK(running.engine().count_connections() == 1);
}

TEST_CASE("Shutdown returned from on_open stops the engine after every connection closed",
          "[actions]") {
  Scripted handler({.shutdown_on_open = 3});
  auto running = start_engine(handler);
  actnet::Engine engine = running.engine();
  TestClient a(address_of(running));
  TestClient b(address_of(running));
  REQUIRE(eventually([&] { return handler.opens.load() == 2; }));
  a.send_all("still served");
  CHECK(a.recv_exact(12) == "still served");
  CHECK_FALSE(engine.stopped());

  TestClient c(address_of(running));
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running.wait().ok());
  CHECK(handler.shutdowns.load() == 1);
  CHECK(handler.opens.load() == 3);
  CHECK(handler.closes_at_shutdown.load() == 3);  // on_shutdown came after every on_close
  for (std::error_code e : handler.close_errors())
    CHECK(e == actnet::Errc::shutting_down);
  for (TestClient* client : {&a, &b, &c})
    CHECK(client->closed_within(5000));
}

TEST_CASE(
    "Shutdown returned from on_traffic stops the engine after flushing and closing "
    "every connection",
    "[actions]") {
  Scripted handler({.shutdown_on_stop = true});
  auto running = start_engine(handler);
  actnet::Engine engine = running.engine();
  TestClient idle(address_of(running));
  TestClient client(address_of(running));
  REQUIRE(eventually([&] { return handler.opens.load() == 2; }));
  client.send_all("please stop");
  bool eof = false;
  CHECK(client.recv_until_eof(&eof) == "please stop");  // the echo, flushed before closing
  CHECK(eof);
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running.wait().ok());
  CHECK(handler.shutdowns.load() == 1);
  CHECK(handler.closes_at_shutdown.load() == 2);
  CHECK(handler.close_errors().size() == 2);
  CHECK(idle.closed_within(5000));
}

TEST_CASE("Bytes written in on_open arrive before the echo of what the client sent at once",
          "[actions]") {
  Scripted handler({.greeting = "welcome to actnet\n"});
  auto running = start_engine(handler);
  for (int i = 0; i < 20; ++i) {
    TestClient client(address_of(running));
    const std::string mine = "ping " + std::to_string(i);
    client.send_all(mine);  // before reading anything
    CHECK(client.recv_exact(18 + mine.size()) == "welcome to actnet\n" + mine);
  }
}

TEST_CASE("Bytes written in on_open arrive before the EOF when on_open returns Close",
          "[actions]") {
  Scripted handler({.open = actnet::Action::close, .greeting = "sorry, we are closed\n"});
  auto running = start_engine(handler);
  for (int i = 0; i < 5; ++i) {
    TestClient client(address_of(running));
    bool eof = false;
    CHECK(client.recv_until_eof(&eof) == "sorry, we are closed\n");
    CHECK(eof);
  }
  REQUIRE(eventually([&] { return handler.closes.load() == 5; }));
  CHECK(handler.traffics.load() == 0);
}

TEST_CASE(
    "on_close receives end_of_stream when the client closes and an empty error when "
    "the server closes",
    "[actions]") {
  SECTION("the client closes") {
    Scripted handler({});
    auto running = start_engine(handler);
    {
      TestClient client(address_of(running));
      client.send_all("hi");
      CHECK(client.recv_exact(2) == "hi");
    }
    REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
    CHECK(handler.close_errors().at(0) == actnet::Errc::end_of_stream);
  }
  SECTION("the server closes") {
    Scripted handler({.traffic = actnet::Action::close});
    auto running = start_engine(handler);
    TestClient client(address_of(running));
    client.send_all("hi");
    CHECK(client.closed_within(5000));
    REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
    CHECK_FALSE(handler.close_errors().at(0));
  }
  SECTION("the engine stops") {
    Scripted handler({});
    auto running = start_engine(handler);
    TestClient client(address_of(running));
    REQUIRE(eventually([&] { return handler.opens.load() == 1; }));
    CHECK_FALSE(running.engine().stop());
    REQUIRE(eventually([&] { return running.engine().stopped(); }));
    REQUIRE(handler.close_errors().size() == 1);
    CHECK(handler.close_errors().at(0) == actnet::Errc::shutting_down);
  }
}

TEST_CASE(
    "A handler that throws in on_traffic has its connection closed with handler_failed "
    "and the engine keeps serving the others",
    "[actions]") {
  Scripted handler({.throw_on_boom = true});
  auto running = start_engine(handler);
  TestClient bystander(address_of(running));
  TestClient victim(address_of(running));
  REQUIRE(eventually([&] { return handler.opens.load() == 2; }));

  victim.send_all("boom");
  CHECK(victim.closed_within(5000));
  REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
  CHECK(handler.close_errors().at(0) == actnet::Errc::handler_failed);

  bystander.send_all("still here");
  CHECK(bystander.recv_exact(10) == "still here");
  TestClient newcomer(address_of(running));
  newcomer.send_all("new");
  CHECK(newcomer.recv_exact(3) == "new");
  CHECK(handler.closes.load() == 1);
  CHECK_FALSE(running.engine().stopped());
}

TEST_CASE("A handler that throws in on_open has that connection closed with handler_failed",
          "[actions]") {
  Scripted handler({.throw_in_open = true});
  auto running = start_engine(handler);
  TestClient client(address_of(running));
  CHECK(client.closed_within(5000));
  REQUIRE(eventually([&] { return handler.closes.load() == 1; }));
  CHECK(handler.close_errors().at(0) == actnet::Errc::handler_failed);
  CHECK(handler.traffics.load() == 0);
  CHECK_FALSE(running.engine().stopped());
}
