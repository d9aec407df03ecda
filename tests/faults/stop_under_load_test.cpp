// Fault: a graceful stop under full load. 1,000 echo connections at saturation (client
// threads write and read as fast as they can) plus a second source of writes, a thread that
// is no loop calling ConnRef::async_write with completions all the while, also during the
// stop. Engine::stop must end within its deadline plus slack, close every connection, and
// account for every write: each async_write call gets exactly one completion, so that
// delivered + failed == accepted, and a call refused at once has already failed.

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
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
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConnections = 1000;
constexpr int kClientThreads = 2;
constexpr std::size_t kMaxWrites = 200'000;  // async_write calls the producer makes at most
constexpr std::chrono::milliseconds kStopDeadline{2000};
constexpr std::chrono::milliseconds kSlack{10'000};  // TSan on a busy 2-core machine

// Echoes, and hands out a ConnRef per connection for the producer.
class RecordingEcho : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mutex_);
    refs_.push_back(conn.ref());
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code) override {
    closed.fetch_add(1);
    return actnet::Action::none;
  }
  void on_shutdown(actnet::Engine&) override { shutdowns.fetch_add(1); }

  std::vector<actnet::ConnRef> refs() {
    std::lock_guard lock(mutex_);
    return refs_;
  }

  std::atomic<int> closed{0};
  std::atomic<int> shutdowns{0};

 private:
  std::mutex mutex_;
  std::vector<actnet::ConnRef> refs_;
};

// Every async_write call the producer made and how each one ended.
struct WriteLedger {
  enum Outcome : std::uint8_t { none = 0, delivered = 1, failed = 2 };
  WriteLedger() : runs(kMaxWrites), outcome(kMaxWrites), accepted(kMaxWrites) {}
  std::vector<std::atomic<std::uint8_t>> runs;      // completions that ran, per call
  std::vector<std::atomic<std::uint8_t>> outcome;   // the last one's outcome
  std::vector<std::atomic<std::uint8_t>> accepted;  // the call queued the write
  std::atomic<std::size_t> calls{0};
};

// Writes to the connections round robin until told to stop (or kMaxWrites), a little at a
// time so the mailboxes stay busy without growing without bound.
void produce(const std::vector<actnet::ConnRef>& refs, WriteLedger& ledger,
             const std::atomic<bool>& stop) {
  const std::string bytes(256, 'w');
  std::size_t i = 0;
  while (!stop.load() && i < kMaxWrites) {
    const std::error_code queued =
        refs[i % refs.size()].async_write(bytes, [&ledger, i](std::error_code ec) {
          ledger.outcome[i].store(ec ? WriteLedger::failed : WriteLedger::delivered);
          ledger.runs[i].fetch_add(1);
        });
    ledger.accepted[i].store(queued ? 0 : 1);
    ++i;
    ledger.calls.store(i);
    if (i % 500 == 0) std::this_thread::sleep_for(1ms);
  }
}

// Writes and reads as fast as the sockets allow until the server closes each of them;
// how many ended with EOF or a reset.
int pump(std::vector<int> fds, Clock::time_point give_up) {
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < fds.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &ev);
  }
  static const std::string chunk(16 * 1024, 'c');
  std::size_t open = fds.size();
  int ended = 0;
  std::vector<epoll_event> events(256);
  std::vector<char> buf(64 * 1024);
  while (open > 0 && Clock::now() < give_up) {
    const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 50);
    for (int e = 0; e < n; ++e) {
      int& fd = fds[events[e].data.u64];
      if (fd < 0) continue;
      bool gone = false;
      if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        const ssize_t r = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        gone = r == 0 || (r < 0 && errno != EAGAIN);
      }
      if (!gone && (events[e].events & EPOLLOUT)) {
        const ssize_t w = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        gone = w < 0 && errno != EAGAIN;
      }
      if (gone) {
        ::close(fd);
        fd = -1;
        --open;
        ++ended;
      }
    }
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  ::close(epoll);
  return ended;
}

}  // namespace

TEST_CASE(
    "A graceful stop under full load ends within its deadline and every accepted write is "
    "either delivered or reported failed",
    "[faults][stop_under_load][concurrency][serial]") {
  if (faults::raise_fd_limit() < 2 * kConnections + 256) {
    WARN("skipped: RLIMIT_NOFILE is too low for " << kConnections << " connections in-process");
    return;
  }
  const int fds_before = faults::open_fd_count();
  auto ledger = std::make_unique<WriteLedger>();
  {
    RecordingEcho handler;
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                                 {.num_event_loops = 2, .watchdog_threshold = 0ms});
    REQUIRE(running.ok());
    actnet::Engine engine = running->engine();
    const auto address = engine.listen_addresses().at(0);

    std::vector<std::vector<int>> groups(kClientThreads);
    for (int i = 0; i < kConnections; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      REQUIRE(::connect(fd, address.data(), address.size()) == 0);
      groups[static_cast<std::size_t>(i % kClientThreads)].push_back(fd);
    }
    REQUIRE(eventually([&] { return engine.count_connections() == kConnections; }, 20s));
    // A connection is counted before its on_open has run: wait for the refs too.
    REQUIRE(eventually([&] { return handler.refs().size() == kConnections; }, 20s));
    const std::vector<actnet::ConnRef> refs = handler.refs();

    const auto give_up = Clock::now() + 60s;
    std::atomic<int> ended{0};
    std::vector<std::thread> clients;
    for (auto& group : groups) {
      clients.emplace_back([&, fds = group] { ended.fetch_add(pump(fds, give_up)); });
    }
    std::atomic<bool> stop_producing{false};
    std::thread producer(produce, std::cref(refs), std::ref(*ledger), std::cref(stop_producing));

    // Saturation for a while, then the stop, with both sources of writes still going.
    std::this_thread::sleep_for(1s);
    const std::uint64_t bytes_out_before_stop = [&] {
      std::uint64_t total = 0;
      for (const actnet::LoopStats& loop : engine.stats().loops)
        total += loop.bytes_out;
      return total;
    }();
    const std::size_t calls_before_stop = ledger->calls.load();
    const auto asked = Clock::now();
    REQUIRE_FALSE(engine.stop(kStopDeadline));
    const bool stopped = eventually([&] { return engine.stopped(); }, kStopDeadline + kSlack);
    const auto took = Clock::now() - asked;
    stop_producing = true;
    producer.join();
    for (std::thread& t : clients)
      t.join();
    REQUIRE(stopped);
    CHECK(running->wait().ok());
    INFO("the stop took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms");
    CHECK(took < kStopDeadline + kSlack);

    // Load there was: bytes flowed and the producer was writing when the stop came.
    CHECK(bytes_out_before_stop > 0);
    CHECK(calls_before_stop > 0);
    CHECK(handler.closed.load() == kConnections);
    CHECK(handler.shutdowns.load() == 1);
    CHECK(ended.load() == kConnections);  // every client saw its connection end
    for (const actnet::LoopStats& loop : engine.stats().loops)
      CHECK(loop.connections == 0);

    // The ledger: one completion per call; accepted ones either delivered or failed.
    const std::size_t calls = ledger->calls.load();
    std::size_t accepted = 0, delivered = 0, failed = 0, refused_failed = 0, refused = 0;
    std::size_t not_once = 0;
    for (std::size_t i = 0; i < calls; ++i) {
      not_once += ledger->runs[i].load() == 1 ? 0 : 1;
      const auto outcome = ledger->outcome[i].load();
      if (ledger->accepted[i].load() == 1) {
        ++accepted;
        delivered += outcome == WriteLedger::delivered ? 1 : 0;
        failed += outcome == WriteLedger::failed ? 1 : 0;
      } else {
        ++refused;
        refused_failed += outcome == WriteLedger::failed ? 1 : 0;
      }
    }
    INFO("calls " << calls << ", accepted " << accepted << " (delivered " << delivered
                  << ", failed " << failed << "), refused " << refused);
    CHECK(not_once == 0);
    CHECK(delivered + failed == accepted);
    CHECK(refused_failed == refused);
    CHECK(delivered > 0);
  }
  CHECK(faults::open_fd_count() == fds_before);
}

namespace {

struct Slow {};

// Each Slow message blocks the loop for a while: a backlog in the mailbox that takes far
// longer to work off than the stop deadline allows.
class SlowReceiver : public actnet::EventHandler, public actnet::Receives<Slow> {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mutex_);
    ref_ = conn.ref();
    return actnet::Action::none;
  }
  actnet::Action on_message(actnet::Conn&, Slow&) override {
    std::this_thread::sleep_for(2ms);
    return actnet::Action::none;
  }
  actnet::ConnRef ref() {
    std::lock_guard lock(mutex_);
    return ref_;
  }

 private:
  std::mutex mutex_;
  actnet::ConnRef ref_;
};

}  // namespace

TEST_CASE(
    "A stop deadline is kept when the mailbox holds more work than the deadline allows, and "
    "the messages it cut off fail with shutting_down",
    "[faults][stop_under_load][concurrency]") {
  constexpr int kMessages = 5000;  // 10 s of work at 2 ms each
  constexpr std::chrono::milliseconds kDeadline{200};
  SlowReceiver handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                               {.num_event_loops = 1, .watchdog_threshold = 0ms});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return static_cast<bool>(handler.ref()); }));
  const actnet::ConnRef ref = handler.ref();

  std::atomic<int> ok{0}, cut_off{0}, other{0};
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE_FALSE(ref.send(Slow{}, [&](std::error_code ec) {
      if (!ec) {
        ok.fetch_add(1);
      } else if (ec == actnet::Errc::shutting_down) {
        cut_off.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    }));
  }
  const auto asked = Clock::now();
  REQUIRE_FALSE(engine.stop(kDeadline));
  const bool stopped = eventually([&] { return engine.stopped(); }, 30s);
  const auto took = Clock::now() - asked;
  REQUIRE(stopped);
  CHECK(running->wait().ok());
  INFO("the stop took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms");
  // The backlog is 10 s of work; the loop finishes at its first message after the deadline.
  CHECK(took < kDeadline + 1500ms);
  CHECK(ok + cut_off + other == kMessages);
  CHECK(other.load() == 0);
  CHECK(cut_off.load() > 0);
  CHECK(client.closed_within(5'000));
}
