// Conn::close_after_flush: a connection closed right after a large write still delivers
// every byte and then FIN (where close() would drop what the kernel had not taken), later
// writes are refused, and a peer that never reads cannot keep it open past the deadline.

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kBytes = 8 * 1024 * 1024;  // far more than the socket buffers hold

// On open: queues kBytes, asks for close_after_flush, then tries one more write.
class Closer : public actnet::EventHandler {
 public:
  explicit Closer(std::chrono::milliseconds deadline) : deadline_(deadline) {}
  std::atomic<bool> late_write_refused{false};
  std::atomic<int> closes{0};
  std::error_code close_error;

  actnet::Action on_open(actnet::Conn& conn) override {
    std::string bytes(kBytes, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<char>('a' + i % 26);
    conn.write(bytes);
    CHECK_FALSE(conn.close_after_flush(deadline_));
    late_write_refused = conn.write("late") == actnet::Errc::write_shut_down;
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    close_error = error;
    closes.fetch_add(1, std::memory_order_release);
    return actnet::Action::none;
  }

 private:
  const std::chrono::milliseconds deadline_;
};

}  // namespace

TEST_CASE("close_after_flush delivers every queued byte before the connection closes") {
  Closer handler(5s);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  bool closed = false;
  const std::string got = client.recv_until_eof(&closed);
  CHECK(closed);
  REQUIRE(got.size() == kBytes);
  bool same = true;
  for (std::size_t i = 0; i < got.size() && same; ++i)
    same = got[i] == static_cast<char>('a' + i % 26);
  CHECK(same);
  REQUIRE(eventually([&] { return handler.closes.load(std::memory_order_acquire) == 1; }));
  CHECK_FALSE(handler.close_error);
  CHECK(handler.late_write_refused.load());
}

TEST_CASE("close_after_flush to a peer that never reads closes with timed_out at the deadline") {
  Closer handler(300ms);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));  // never reads
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return handler.closes.load(std::memory_order_acquire) == 1; }));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  CHECK(handler.close_error == actnet::Errc::timed_out);
}
