// Graceful stop (Engine::stop): what was accepted for writing reaches the peer before the
// FIN, every completion runs once with its outcome, connections close with shutting_down
// before on_shutdown runs, and a deadline that passes fails what could not be delivered.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Keeps a ConnRef per opened connection and counts closes and shutdowns.
class Recorder : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mutex_);
    refs_.push_back(conn.ref());
    opened.fetch_add(1);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::shutting_down) closed_shutting_down.fetch_add(1);
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  void on_shutdown(actnet::Engine&) override {
    closed_before_shutdown.store(closed.load());
    shutdowns.fetch_add(1);
  }
  std::vector<actnet::ConnRef> refs() {
    std::lock_guard lock(mutex_);
    return refs_;
  }

  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  std::atomic<int> closed_shutting_down{0};
  std::atomic<int> closed_before_shutdown{-1};
  std::atomic<int> shutdowns{0};

 private:
  std::mutex mutex_;
  std::vector<actnet::ConnRef> refs_;
};

// Message k: its number, then filler of a length that varies with k, then a newline.
std::string message(int k) {
  std::string m = "msg " + std::to_string(k) + " ";
  m.append(static_cast<std::size_t>((k * 7919) % 997), static_cast<char>('a' + k % 26));
  m.push_back('\n');
  return m;
}

// Byte i of a stream is i % 251, so a lost, repeated or reordered chunk shows.
std::string pattern_chunk(std::uint64_t offset, std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>((offset + i) % 251);
  return out;
}

std::size_t first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i])
    ++i;
  return i;
}

}  // namespace

TEST_CASE("A stop from another thread delivers 10,000 queued async writes in order before the FIN",
          "[graceful_stop][concurrency]") {
  constexpr int kClients = 8;
  constexpr int kMessages = 10'000;
  Recorder handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .stop_timeout = 60s});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);

  // One at a time, so refs[i] is clients[i]'s connection.
  std::vector<TestClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(address, 30'000);
    REQUIRE(eventually([&] { return handler.opened.load() == i + 1; }));
  }
  const std::vector<actnet::ConnRef> refs = handler.refs();
  REQUIRE(refs.size() == kClients);

  // The clients read concurrently: a stop flushes every connection before closing any.
  std::vector<std::string> received(kClients);
  std::vector<int> saw_eof(kClients, 0);
  std::vector<std::thread> readers;
  for (int i = 0; i < kClients; ++i) {
    readers.emplace_back([&, i] {
      bool closed = false;
      received[i] = clients[i].recv_until_eof(&closed);
      saw_eof[i] = closed ? 1 : 0;
    });
  }

  auto ran = std::make_unique<std::atomic<int>[]>(kMessages);
  std::atomic<int> failed_completions{0};
  std::atomic<int> refused{0};
  std::error_code stop_result = actnet::make_error_code(actnet::Errc::timed_out);
  std::thread producer([&] {
    for (int k = 0; k < kMessages; ++k) {
      const auto sent = refs[k % kClients].async_write(message(k), [&, k](std::error_code ec) {
        ran[k].fetch_add(1);
        if (ec) failed_completions.fetch_add(1);
      });
      if (sent) refused.fetch_add(1);
    }
    stop_result = engine.stop();
  });
  producer.join();
  CHECK_FALSE(stop_result);
  const bool stopped = eventually([&] { return engine.stopped(); }, 60s);
  for (std::thread& t : readers)
    t.join();
  REQUIRE(stopped);
  CHECK(running->wait().ok());

  CHECK(refused.load() == 0);
  CHECK(failed_completions.load() == 0);
  int ran_once = 0;
  for (int k = 0; k < kMessages; ++k)
    ran_once += ran[k].load() == 1 ? 1 : 0;
  CHECK(ran_once == kMessages);
  for (int i = 0; i < kClients; ++i) {
    std::string expected;
    for (int k = i; k < kMessages; k += kClients)
      expected += message(k);
    INFO("client " << i << " got " << received[i].size() << " of " << expected.size()
                   << " bytes; first difference at " << first_difference(received[i], expected));
    CHECK(saw_eof[i] == 1);
    const bool same = received[i] == expected;
    CHECK(same);
  }
  CHECK(handler.closed_shutting_down.load() == kClients);
  CHECK(handler.shutdowns.load() == 1);
}

TEST_CASE(
    "A stop whose deadline passes closes a client that never reads and fails what it could "
    "not deliver",
    "[graceful_stop][concurrency]") {
  constexpr std::size_t kChunk = 64 * 1024;
  constexpr int kChunks = 512;  // 32 MiB: far more than the socket buffers hold
  Recorder handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0), 20'000);
  REQUIRE(eventually([&] { return handler.opened.load() == 1; }));
  const actnet::ConnRef ref = handler.refs().at(0);

  std::vector<std::atomic<int>> outcome(kChunks);  // 0: not run, 1: success, 2: failure
  std::atomic<int> runs{0};
  std::atomic<int> wrong_error{0};
  for (int c = 0; c < kChunks; ++c) {
    const auto sent = ref.async_write(
        pattern_chunk(std::uint64_t{kChunk} * c, kChunk), [&, c](std::error_code ec) {
          runs.fetch_add(1);
          outcome[c].store(ec ? 2 : 1);
          if (ec && ec != actnet::Errc::shutting_down && ec != actnet::Errc::connection_closed) {
            wrong_error.fetch_add(1);
          }
        });
    REQUIRE_FALSE(sent);
  }
  const auto asked = std::chrono::steady_clock::now();
  REQUIRE_FALSE(engine.stop(200ms));
  REQUIRE(eventually([&] { return engine.stopped(); }, 10s));
  const auto took = std::chrono::steady_clock::now() - asked;
  CHECK(running->wait().ok());
  CHECK(took >= 200ms);  // the deadline was waited for: the client never read
  CHECK(took < 5s);

  CHECK(handler.closed.load() == 1);
  CHECK(handler.closed_shutting_down.load() == 1);
  CHECK(handler.shutdowns.load() == 1);
  CHECK(runs.load() == kChunks);  // every completion ran: none was dropped silently
  CHECK(wrong_error.load() == 0);
  // Completions report a prefix of successes, then failures.
  int succeeded = 0;
  while (succeeded < kChunks && outcome[succeeded].load() == 1)
    ++succeeded;
  int failed = 0;
  for (int c = succeeded; c < kChunks; ++c)
    failed += outcome[c].load() == 2 ? 1 : 0;
  CHECK(failed == kChunks - succeeded);
  CHECK(failed > 0);

  // What the kernel took still reaches the client, in order, then the FIN: at least every
  // chunk reported delivered, and less than one more chunk.
  bool closed = false;
  const std::string got = client.recv_until_eof(&closed);
  CHECK(closed);
  CHECK(got.size() >= kChunk * succeeded);
  CHECK(got.size() < kChunk * (succeeded + 1));
  const bool pattern_ok = got == pattern_chunk(0, got.size());
  CHECK(pattern_ok);
}

TEST_CASE(
    "A stop from another thread closes 100 idle clients with shutting_down before "
    "on_shutdown runs once",
    "[graceful_stop][concurrency]") {
  constexpr int kClients = 100;
  Recorder handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);
  std::vector<TestClient> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back(address);
  REQUIRE(eventually([&] { return engine.count_connections() == kClients; }));

  std::error_code first;
  std::thread stopper([&] { first = engine.stop(); });
  stopper.join();
  CHECK_FALSE(first);
  CHECK(engine.stop() == actnet::Errc::shutting_down);  // a second stop is an error

  int saw_eof = 0;
  for (TestClient& c : clients)
    saw_eof += c.closed_within(10'000) ? 1 : 0;
  CHECK(saw_eof == kClients);
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
  CHECK(engine.stopped());
  CHECK(engine.count_connections() == 0);
  CHECK(handler.closed.load() == kClients);
  CHECK(handler.closed_shutting_down.load() == kClients);
  CHECK(handler.shutdowns.load() == 1);
  CHECK(handler.closed_before_shutdown.load() == kClients);  // on_shutdown ran after them
  CHECK(engine.stop() == actnet::Errc::shutting_down);
  CHECK_FALSE(engine.dup().ok());
}

TEST_CASE("Messages sent through ConnRefs after the engine stopped complete with an error",
          "[graceful_stop]") {
  Recorder handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return handler.opened.load() == 1; }));
  const actnet::ConnRef ref = handler.refs().at(0);
  REQUIRE_FALSE(engine.stop());
  REQUIRE(eventually([&] { return engine.stopped(); }));
  REQUIRE(running->wait().ok());

  // Each call fails at once, on this thread, and its completion has run with the error.
  std::vector<std::error_code> outcomes;
  std::vector<std::error_code> returned;
  auto record = [&](std::error_code ec) { outcomes.push_back(ec); };
  returned.push_back(ref.async_write("late", record));
  returned.push_back(ref.async_writev({"la", "te"}, record));
  returned.push_back(ref.wake(record));
  returned.push_back(ref.close(record));
  REQUIRE(outcomes.size() == 4);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    INFO("call " << i);
    CHECK(outcomes[i] == actnet::Errc::shutting_down);
    CHECK(returned[i] == actnet::Errc::shutting_down);
  }
  // A default ConnRef names nothing.
  std::error_code none_outcome;
  CHECK(actnet::ConnRef().async_write("x", [&](std::error_code ec) { none_outcome = ec; }) ==
        actnet::Errc::connection_closed);
  CHECK(none_outcome == actnet::Errc::connection_closed);
  CHECK(client.closed_within(5'000));
}

TEST_CASE("A stop delivers queued bytes to a client that sent more than the draining server read",
          "[graceful_stop][concurrency]") {
  constexpr std::size_t kChunk = 64 * 1024;
  constexpr int kChunks = 128;  // 8 MiB: more than the socket buffers hold
  Recorder handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1, .stop_timeout = 20s});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);
  TestClient client(address, 20'000);
  REQUIRE(eventually([&] { return handler.opened.load() == 1; }));
  const actnet::ConnRef ref = handler.refs().at(0);
  const std::uint64_t handled_before = engine.stats().loops.at(0).messages_handled;
  for (int c = 0; c < kChunks; ++c)
    REQUIRE_FALSE(ref.async_write(pattern_chunk(std::uint64_t{kChunk} * c, kChunk)));
  REQUIRE_FALSE(engine.stop());
  // Once the loop has run the writes and the drain that follows them, it reads no more.
  REQUIRE(eventually(
      [&] { return engine.stats().loops.at(0).messages_handled >= handled_before + kChunks + 1; }));
  client.send_all("one more request");

  bool closed = false;
  const std::string got = client.recv_until_eof(&closed);
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
  CHECK(closed);
  CHECK(got.size() == kChunk * kChunks);
  const bool pattern_ok = got == pattern_chunk(0, got.size());
  CHECK(pattern_ok);
}
