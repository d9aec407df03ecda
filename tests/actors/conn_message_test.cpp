// Typed messages to a connection (ConnRef::send<T> → Receives<T>::on_message): delivered on
// the connection's loop, in order per sender, move-only payloads allowed; a handler that does
// not receive the type answers unsupported; a stale ref answers connection_closed; an
// exception in on_message closes only that connection, and the loop keeps serving.

#include <atomic>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

struct Say {
  std::unique_ptr<std::string> text;  // move-only on purpose
};
struct Kick {};
struct Unknown {};

class Chatty : public actnet::EventHandler,
               public actnet::Receives<Say>,
               public actnet::Receives<Kick> {
 public:
  std::atomic<std::thread::id> loop_thread;
  std::atomic<int> wrong_thread{0};
  std::atomic<int> opened{0};
  actnet::ConnRef first, second;
  std::atomic<int> close_handler_failed{0};

  actnet::Action on_open(actnet::Conn& conn) override {
    loop_thread = std::this_thread::get_id();
    (opened.load() == 0 ? first : second) = conn.ref();
    opened.fetch_add(1, std::memory_order_release);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_message(actnet::Conn& conn, Say& say) override {
    if (std::this_thread::get_id() != loop_thread.load()) wrong_thread.fetch_add(1);
    if (*say.text == "throw") throw std::runtime_error("bad message");
    conn.write(*say.text);
    return actnet::Action::none;
  }
  actnet::Action on_message(actnet::Conn&, Kick&) override { return actnet::Action::close; }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::handler_failed) close_handler_failed.fetch_add(1);
    return actnet::Action::none;
  }
};

struct Outcome {
  std::atomic<int> calls{0};
  std::error_code code;
  actnet::Completion callback() {
    return [this](std::error_code ec) {
      code = ec;
      calls.fetch_add(1, std::memory_order_release);
    };
  }
  bool arrived() {
    return eventually([&] { return calls.load(std::memory_order_acquire) > 0; });
  }
};

}  // namespace

TEST_CASE("messages sent to a connection reach its handler's on_message on its loop, in order",
          "[concurrency]") {
  Chatty handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return handler.opened.load(std::memory_order_acquire) == 1; }));

  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string text = std::to_string(i) + ";";
    expected += text;
    CHECK_FALSE(handler.first.send(Say{std::make_unique<std::string>(std::move(text))}));
  }
  CHECK(client.recv_exact(expected.size()) == expected);
  CHECK(handler.wrong_thread.load() == 0);

  Outcome unknown;
  CHECK_FALSE(handler.first.send(Unknown{}, unknown.callback()));
  REQUIRE(unknown.arrived());
  CHECK(unknown.code == actnet::Errc::unsupported);

  Outcome kicked;
  handler.first.send(Kick{}, kicked.callback());
  REQUIRE(kicked.arrived());
  CHECK_FALSE(kicked.code);
  CHECK(client.closed_within(5000));

  Outcome stale;
  handler.first.send(Say{std::make_unique<std::string>("late")}, stale.callback());
  REQUIRE(stale.arrived());
  CHECK(stale.code == actnet::Errc::connection_closed);
}

TEST_CASE(
    "an exception escaping on_message closes that connection with handler_failed and "
    "the loop keeps serving the others") {
  Chatty handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  TestClient victim(address);
  REQUIRE(eventually([&] { return handler.opened.load(std::memory_order_acquire) == 1; }));
  TestClient bystander(address);
  REQUIRE(eventually([&] { return handler.opened.load(std::memory_order_acquire) == 2; }));

  Outcome threw;
  handler.first.send(Say{std::make_unique<std::string>("throw")}, threw.callback());
  REQUIRE(threw.arrived());
  CHECK(threw.code == actnet::Errc::handler_failed);
  CHECK(victim.closed_within(5000));
  CHECK(handler.close_handler_failed.load() == 1);

  bystander.send_all("still here");
  CHECK(bystander.recv_exact(10) == "still here");
}

TEST_CASE("a message to a connection whose engine has stopped fails on the sender's thread") {
  Chatty handler;
  actnet::ConnRef ref;
  {
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
    REQUIRE(running.ok());
    TestClient client(running->engine().listen_addresses().at(0));
    REQUIRE(eventually([&] { return handler.opened.load(std::memory_order_acquire) == 1; }));
    ref = handler.first;
  }
  Outcome late;
  CHECK(ref.send(Kick{}, late.callback()) == actnet::Errc::shutting_down);
  CHECK(late.calls.load() == 1);
  CHECK(late.code == actnet::Errc::shutting_down);
}
