// Fault: a handler whose on_traffic throws on every 10th message of a connection. The loop
// logs the exception, closes that connection with Errc::handler_failed (its client sees EOF
// or a reset, and never an answer to the 10th message), and goes on serving every other
// connection; afterwards no connection, descriptor or buffer is left behind.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "faults/process_fds.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int kThreads = 8;
constexpr int kClientsPerThread = 10;
constexpr int kShortRun = 9;  // messages a client that never meets a throw sends
constexpr int kLongRun = 15;  // past the 10th: its connection is closed there

// Counts the loop's log lines about a callback that threw.
class ThrowCounter : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::atomic<int> lines{0};

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.find("on_traffic threw") != std::string_view::npos &&
        text.find("every 10th message") != std::string_view::npos) {
      lines.fetch_add(1);
    }
  }
  void flush_() override {}
};

// Echoes newline-terminated messages, counting them per connection (the Conn's context);
// the 10th, 20th, ... throws instead of being echoed.
class ThrowEveryTenth : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<int>(0);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    for (;;) {
      const std::string_view buffered = conn.peek();
      const std::size_t end = buffered.find('\n');
      if (end == std::string_view::npos) return actnet::Action::none;
      int& count = *conn.context<int>();
      if (++count % 10 == 0) throw std::runtime_error("every 10th message throws");
      conn.write(conn.next(end + 1));
    }
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    if (error == actnet::Errc::handler_failed) {
      failed.fetch_add(1);
    } else {
      other_closes.fetch_add(1);
    }
    return actnet::Action::none;
  }

  std::atomic<int> failed{0};
  std::atomic<int> other_closes{0};
};

std::string message(int client, int k) {
  return std::string("client ")
      .append(std::to_string(client))
      .append(" message ")
      .append(std::to_string(k))
      .append("\n");
}

struct Tally {
  std::atomic<int> short_served{0};  // short-run clients that got all their echoes
  std::atomic<int> long_cut{0};      // long-run clients cut at the 10th, 9 echoes first
  std::atomic<int> wrong{0};
};

// Client i runs kLongRun messages when odd, kShortRun when even; the clients of one thread
// take turns, one round trip each, so a closed connection never stalls the others.
void run_clients(const actnet::io::SocketAddress& address, int thread, Tally& tally) {
  std::vector<TestClient> clients;
  std::vector<int> ids;
  for (int j = 0; j < kClientsPerThread; ++j) {
    clients.emplace_back(address, 10'000);
    ids.push_back(thread * kClientsPerThread + j);
  }
  std::vector<bool> done(clients.size(), false);
  for (int k = 1; k <= kLongRun; ++k) {
    for (std::size_t j = 0; j < clients.size(); ++j) {
      const int id = ids[j];
      const int run = id % 2 == 1 ? kLongRun : kShortRun;
      if (done[j] || k > run) continue;
      const std::string m = message(id, k);
      clients[j].send_all(m);
      const std::string back = clients[j].recv_exact(m.size());
      if (k < 10) {
        if (back != m) {
          tally.wrong.fetch_add(1);
          done[j] = true;
        } else if (k == run) {
          tally.short_served.fetch_add(1);
          done[j] = true;
        }
        continue;
      }
      // The 10th message: no answer, and the connection is gone.
      done[j] = true;
      if (back.empty() && clients[j].closed_within(10'000)) {
        tally.long_cut.fetch_add(1);
      } else {
        tally.wrong.fetch_add(1);
      }
    }
  }
}

}  // namespace

TEST_CASE(
    "A handler that throws on every 10th message closes those connections with "
    "handler_failed and serves everyone else",
    "[faults][throwing_handler]") {
  constexpr int kClients = kThreads * kClientsPerThread;
  const int fds_before = faults::open_fd_count();
  auto counter = std::make_shared<ThrowCounter>();
  {
    ThrowEveryTenth handler;
    auto logger = std::make_shared<spdlog::logger>("throwing-handler", counter);
    auto running =
        actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2, .logger = logger});
    REQUIRE(running.ok());
    actnet::Engine engine = running->engine();
    const auto address = engine.listen_addresses().at(0);

    Tally tally;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back(run_clients, std::cref(address), t, std::ref(tally));
    for (std::thread& t : threads)
      t.join();

    CHECK(tally.wrong.load() == 0);
    CHECK(tally.short_served.load() == kClients / 2);
    CHECK(tally.long_cut.load() == kClients / 2);
    CHECK(handler.failed.load() == kClients / 2);
    CHECK(counter->lines.load() == kClients / 2);
    // The clients have closed: every connection is gone, each on_close ran once.
    REQUIRE(eventually([&] { return handler.failed + handler.other_closes == kClients; }));
    CHECK(engine.count_connections() == 0);
    REQUIRE_FALSE(engine.stop());
    REQUIRE(running->wait().ok());
    for (const actnet::LoopStats& loop : engine.stats().loops) {
      CHECK(loop.connections == 0);
      CHECK(loop.buffer_bytes == 0);
    }
  }
  CHECK(faults::open_fd_count() == fds_before);
}
