// Fault: the peer resets the connection (SO_LINGER {1, 0}, then close) while the server is
// in the middle of writing it a large payload. The connection closes with the kernel's error
// (ECONNRESET or EPIPE, in the system category) through on_close and the payload's
// completion, the process survives (no SIGPIPE), the loop goes on serving another client,
// and once the engine stops, every descriptor it opened is closed again.

#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "faults/process_fds.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kPayload = 16 * 1024 * 1024;  // far more than the socket buffers hold
constexpr int kResetters = 8;

// "big\n" asks for the payload; anything else is echoed. Records how each connection ended.
class Streamer : public actnet::EventHandler {
 public:
  explicit Streamer(const std::string& payload) : payload_(payload) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    conn.emplace_context<bool>(false);  // true: the payload was asked for
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (*conn.context<bool>()) {
      conn.discard();
      return actnet::Action::none;
    }
    if (conn.peek() == "big\n") {
      conn.discard();
      *conn.context<bool>() = true;
      conn.write(payload_, [this](std::error_code ec) { payload_done(ec); });
      return actnet::Action::none;
    }
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override {
    std::lock_guard lock(mutex_);
    (*conn.context<bool>() ? stream_closes_ : other_closes_).push_back(error);
    return actnet::Action::none;
  }

  std::vector<std::error_code> stream_closes() {
    std::lock_guard lock(mutex_);
    return stream_closes_;
  }
  std::vector<std::error_code> payload_outcomes() {
    std::lock_guard lock(mutex_);
    return payload_outcomes_;
  }
  std::size_t other_closes() {
    std::lock_guard lock(mutex_);
    return other_closes_.size();
  }

 private:
  void payload_done(std::error_code ec) {
    std::lock_guard lock(mutex_);
    payload_outcomes_.push_back(ec);
  }

  const std::string& payload_;
  std::mutex mutex_;
  std::vector<std::error_code> stream_closes_, other_closes_, payload_outcomes_;
};

bool is_reset(std::error_code ec) {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe;
}

// Asks for the payload, reads a little of it, then resets the connection.
void reset_after_a_little(const actnet::io::SocketAddress& address, std::atomic<int>& read_some) {
  // A small receive buffer turns off autotuning, so the kernel cannot swallow the payload.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int rcvbuf = 64 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, address.data(), address.size()) != 0) {
    ::close(fd);
    return;
  }
  ::send(fd, "big\n", 4, MSG_NOSIGNAL);
  std::string got(64 * 1024, '\0');
  std::size_t have = 0;
  while (have < got.size()) {
    const ssize_t n = ::recv(fd, got.data() + have, got.size() - have, 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have == got.size()) read_some.fetch_add(1);
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

// Round trips of distinct messages; false at the first one that does not come back equal.
bool echo_rounds(TestClient& client, int rounds, int tag) {
  for (int i = 0; i < rounds; ++i) {
    const std::string message = std::string("client ")
                                    .append(std::to_string(tag))
                                    .append(" round ")
                                    .append(std::to_string(i));
    client.send_all(message);
    if (client.recv_exact(message.size()) != message) return false;
  }
  return true;
}

}  // namespace

TEST_CASE(
    "A peer that resets mid-write closes with the kernel's error while the loop serves "
    "another client and no descriptor leaks",
    "[faults][reset]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  // A send to a reset peer without MSG_NOSIGNAL would now kill the test process.
  std::signal(SIGPIPE, SIG_DFL);
  const std::string payload(kPayload, 'p');
  const int fds_before = faults::open_fd_count();
  {
    Streamer handler(payload);
    auto running =
        actnet::start(handler, {"tcp://127.0.0.1:0"},
                      {.num_event_loops = 1, .edge_triggered = edge, .watchdog_threshold = 0ms});
    REQUIRE(running.ok());
    actnet::Engine engine = running->engine();
    const auto address = engine.listen_addresses().at(0);

    TestClient steady(address);
    REQUIRE(echo_rounds(steady, 10, 0));

    // The resets happen while the steady client keeps doing round trips on the same loop.
    std::atomic<int> read_some{0};
    std::atomic<bool> resets_done{false};
    std::atomic<int> steady_rounds{0};
    std::atomic<bool> steady_ok{true};
    std::thread steady_thread([&] {
      while (!resets_done.load()) {
        if (!echo_rounds(steady, 1, steady_rounds.fetch_add(1) + 1)) {
          steady_ok = false;
          return;
        }
      }
    });
    std::vector<std::thread> resetters;
    for (int i = 0; i < kResetters; ++i)
      resetters.emplace_back(reset_after_a_little, std::cref(address), std::ref(read_some));
    for (std::thread& t : resetters)
      t.join();
    REQUIRE(eventually([&] { return handler.stream_closes().size() == kResetters; }));
    resets_done = true;
    steady_thread.join();

    CHECK(read_some.load() == kResetters);
    CHECK(steady_ok.load());
    CHECK(steady_rounds.load() > 0);
    for (const std::error_code& ec : handler.stream_closes()) {
      INFO("on_close: " << ec.message());
      CHECK(is_reset(ec));
    }
    // Each payload was cut short: its completion ran once, with the error.
    REQUIRE(eventually([&] { return handler.payload_outcomes().size() == kResetters; }));
    for (const std::error_code& ec : handler.payload_outcomes()) {
      INFO("payload completion: " << ec.message());
      CHECK(is_reset(ec));
    }
    // The loop still serves: the steady client, and a new one.
    CHECK(echo_rounds(steady, 10, 1000));
    TestClient late(address);
    CHECK(echo_rounds(late, 10, 2000));
    CHECK(engine.count_connections() == 2);
    CHECK(handler.other_closes() == 0);

    REQUIRE_FALSE(engine.stop());
    REQUIRE(running->wait().ok());
    const actnet::EngineStats stats = engine.stats();
    REQUIRE(stats.loops.size() == 1);
    CHECK(stats.loops[0].connections == 0);
    CHECK(handler.other_closes() == 2);
  }
  CHECK(faults::open_fd_count() == fds_before);
}
