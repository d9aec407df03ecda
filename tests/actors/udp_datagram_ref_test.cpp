// DatagramRef: answering a datagram later from another thread. The ref carries the loop's
// mailbox, the socket and the peer; a send is a message the loop turns into a datagram, its
// completion runs on the loop, and after the engine stopped a send fails cleanly.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/udp_test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Keeps each datagram's ref for the test thread; answers nothing itself.
struct Keeper : actnet::EventHandler {
  std::mutex mutex;
  std::vector<actnet::DatagramRef> refs;
  std::atomic<bool> stream_ref_empty{false};
  actnet::Action on_traffic(actnet::Conn& conn) override {
    actnet::DatagramRef ref = conn.datagram_ref();
    std::lock_guard lock(mutex);
    refs.push_back(std::move(ref));
    return actnet::Action::none;
  }
  std::optional<actnet::DatagramRef> wait_for(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex);
        if (refs.size() >= n) return refs[n - 1];
      }
      std::this_thread::sleep_for(2ms);
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("A DatagramRef answers its peer from another thread", "[udp][concurrency]") {
  Keeper keeper;
  auto running = actnet::start(keeper, {"udp4://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running);
  const auto server = running->engine().listen_addresses().front();
  UdpTestSocket sock(AF_INET, 2000);
  sock.connect(server);
  UdpTestSocket other(AF_INET, 2000);
  other.connect(server);  // gives it a local address for async_send_to
  const actnet::io::SocketAddress other_address = other.local();

  sock.send("remember me");
  auto ref = keeper.wait_for(1);
  REQUIRE(ref.has_value());
  CHECK(ref->peer() == sock.local());

  std::atomic<int> completions{0}, failures{0};
  std::thread worker([&] {
    for (int i = 0; i < 3; ++i) {
      (void)ref->async_send("later " + std::to_string(i), [&](std::error_code ec) {
        (ec ? failures : completions).fetch_add(1);
      });
    }
    (void)ref->async_send_to(other_address, "to the other socket");
  });
  worker.join();
  for (int i = 0; i < 3; ++i)
    CHECK(sock.recv() == std::optional<std::string>("later " + std::to_string(i)));
  CHECK(other.recv() == std::optional<std::string>("to the other socket"));

  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(completions == 3);
  CHECK(failures == 0);

  // After the stop: the send fails on this thread, with its completion.
  std::error_code late_done;
  const std::error_code late =
      ref->async_send("too late", [&](std::error_code ec) { late_done = ec; });
  CHECK(late == actnet::Errc::shutting_down);
  CHECK(late_done == actnet::Errc::shutting_down);

  // An empty ref names nothing.
  const actnet::DatagramRef empty;
  CHECK_FALSE(empty);
  CHECK(empty.async_send("x") == actnet::Errc::connection_closed);
}
