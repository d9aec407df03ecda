// Fault: clients shut down their write side (shutdown(SHUT_WR)) before the server has
// written them anything; the server keeps each connection open past the EOF (on_eof:
// Action::none), streams megabytes into it from another thread through ConnRef::async_write,
// then ends its own side with ConnRef::shutdown_write. Every client still receives every byte,
// in order, then the EOF; the connections close by themselves with an empty error and no
// descriptor is left behind. (tests/actors/half_close_test.cpp covers the single-connection
// reply written inside on_eof.)

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "faults/process_fds.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int kClients = 20;
constexpr std::size_t kChunk = 64 * 1024;
constexpr int kChunks = 32;  // 2 MiB per client, all written after the client's EOF

// Client k's stream: byte i is (i + 7k) % 251, so lost, repeated or foreign bytes show.
std::string stream_part(int client, std::size_t offset, std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<char>((offset + i + 7 * static_cast<std::size_t>(client)) % 251);
  return out;
}

// Reads the client's number ("7\n"), keeps the connection open past the peer's EOF and hands
// out (number, ConnRef) pairs for another thread to write to.
class KeepOpenAfterEof : public actnet::EventHandler {
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
    std::lock_guard lock(mutex_);
    half_closed_.emplace_back(std::stoi(*conn.context<std::string>()), conn.ref());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    std::lock_guard lock(mutex_);
    closes_.push_back(error);
    return actnet::Action::none;
  }

  std::vector<std::pair<int, actnet::ConnRef>> half_closed() {
    std::lock_guard lock(mutex_);
    return half_closed_;
  }
  std::vector<std::error_code> closes() {
    std::lock_guard lock(mutex_);
    return closes_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<int, actnet::ConnRef>> half_closed_;
  std::vector<std::error_code> closes_;
};

}  // namespace

TEST_CASE(
    "Clients that shut their write side first still receive every byte the server writes "
    "afterwards from another thread, then the EOF",
    "[faults][half_close][concurrency]") {
  const int fds_before = faults::open_fd_count();
  {
    KeepOpenAfterEof handler;
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
    REQUIRE(running.ok());
    actnet::Engine engine = running->engine();
    const auto address = engine.listen_addresses().at(0);

    std::vector<TestClient> clients;
    for (int k = 0; k < kClients; ++k) {
      clients.emplace_back(address, 20'000);
      clients.back().send_all(std::to_string(k) + "\n");
      REQUIRE(::shutdown(clients.back().fd(), SHUT_WR) == 0);
    }
    // Every EOF reached the server before it writes a single byte.
    REQUIRE(eventually([&] { return handler.half_closed().size() == kClients; }));

    std::vector<std::string> received(kClients);
    std::vector<int> saw_eof(kClients, 0);
    std::vector<std::thread> readers;
    for (int k = 0; k < kClients; ++k) {
      readers.emplace_back([&, k] {
        bool closed = false;
        received[k] = clients[k].recv_until_eof(&closed);
        saw_eof[k] = closed ? 1 : 0;
      });
    }

    std::atomic<int> write_failures{0};
    std::atomic<int> shut_ok{0};
    std::thread producer([&] {
      const auto targets = handler.half_closed();
      for (int c = 0; c < kChunks; ++c) {
        for (const auto& [k, ref] : targets) {
          const auto sent =
              ref.async_write(stream_part(k, kChunk * c, kChunk), [&](std::error_code ec) {
                if (ec) write_failures.fetch_add(1);
              });
          if (sent) write_failures.fetch_add(1);
        }
      }
      for (const auto& target : targets) {
        target.second.shutdown_write([&](std::error_code ec) {
          if (!ec) shut_ok.fetch_add(1);
        });
      }
    });
    producer.join();
    for (std::thread& t : readers)
      t.join();

    CHECK(write_failures.load() == 0);
    for (int k = 0; k < kClients; ++k) {
      INFO("client " << k << " got " << received[k].size() << " bytes");
      CHECK(saw_eof[k] == 1);
      const bool same = received[k] == stream_part(k, 0, kChunk * kChunks);
      CHECK(same);
    }
    // Both directions finished: each connection closed by itself, with no error.
    REQUIRE(eventually([&] { return handler.closes().size() == kClients; }));
    CHECK(shut_ok.load() == kClients);
    for (const std::error_code& ec : handler.closes()) {
      INFO("on_close: " << ec.message());
      CHECK_FALSE(ec);
    }
    CHECK(eventually([&] { return engine.count_connections() == 0; }));
    REQUIRE_FALSE(engine.stop());
    REQUIRE(running->wait().ok());
    for (const actnet::LoopStats& loop : engine.stats().loops)
      CHECK(loop.connections == 0);
  }
  CHECK(faults::open_fd_count() == fds_before);
}
