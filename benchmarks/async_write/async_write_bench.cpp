// Cross-thread writes: P producer threads (not loops) write small messages to connections
// that live on an engine's loops, through ConnRef::async_write; a sink client reads and
// discards. Against the baseline of the same kind of loop fed through a mutex-protected
// std::deque with one eventfd write per message (deque_loop.hpp). Measures messages/s
// delivered (first push to the last byte at the sink) and eventfd writes per 1,000 messages
// (actnet's from LoopStats::wakeups).
//
//   actnet-bench-async-write [--messages N] [--size BYTES] [--connections C] [--loops L]
//                            [--producers P,P,...] [--window W] [--csv ROUND]
//
// Defaults: 1,000,000 messages of 32 bytes over 8 connections on 2 loops, with 1, 2 and 4
// producers, and at most 65,536 messages in flight: producers that get that far ahead of
// the sink yield until it catches up, so the run measures a steady flow rather than how
// fast a backlog of a million queued messages can be allocated. --csv prints rows of
// benchmarks/results/mailbox.csv (mode,case,server,round,metric,value) instead of the table.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <actnet/actnet.hpp>

#include "deque_loop.hpp"
#include "sink.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::uint64_t messages = 1'000'000;
  std::size_t size = 32;
  int connections = 8;
  int loops = 2;
  std::uint64_t window = 65'536;
  std::vector<int> producers{1, 2, 4};
  int csv_round = 0;  // 0: print the table
};

struct Figures {
  double msgs_per_s = 0;
  double wakeups_per_1000 = 0;
  bool complete = false;
};

// Starts `producers` threads that send message i to connection i % connections by calling
// post(connection, bytes), waits until the sink has every byte (or 60 s), and times it.
Figures drive(const Config& c, int producers, const bench::Sink& sink,
              const std::function<void(std::size_t, std::string)>& post,
              const std::function<std::uint64_t()>& wakeups) {
  const std::string payload = [&] {
    std::string p(c.size, 'x');
    p.back() = '\n';
    return p;
  }();
  const std::uint64_t per = c.messages / static_cast<std::uint64_t>(producers);
  const std::uint64_t total = per * static_cast<std::uint64_t>(producers);
  const std::uint64_t base = sink.bytes();
  const std::uint64_t want = base + total * c.size;
  auto delivered = [&] { return (sink.bytes() - base) / c.size; };
  const std::uint64_t woken_before = wakeups();
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      while (!go.load(std::memory_order_acquire)) {
      }
      const auto n = static_cast<std::uint64_t>(c.connections);
      const auto all = static_cast<std::uint64_t>(producers);
      for (std::uint64_t i = 0; i < per; ++i) {
        // Every producer is about as far as this one: all * i messages are out.
        if (i % 1024 == 0) {
          while (all * i > delivered() + c.window)
            std::this_thread::yield();
        }
        post(static_cast<std::size_t>((i + static_cast<std::uint64_t>(p)) % n), payload);
      }
    });
  }
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  const auto limit = start + std::chrono::seconds(60);
  while (sink.bytes() < want && Clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& t : threads)
    t.join();
  Figures f;
  f.complete = sink.bytes() >= want;
  f.msgs_per_s = static_cast<double>(total) / secs;
  f.wakeups_per_1000 =
      1000.0 * static_cast<double>(wakeups() - woken_before) / static_cast<double>(total);
  return f;
}

// Keeps every connection's ref; reads nothing that matters (the sink never sends).
class Collect final : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mu_);
    refs_.push_back(conn.ref());
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.discard();
    return actnet::Action::none;
  }
  std::vector<actnet::ConnRef> refs() {
    std::lock_guard lock(mu_);
    return refs_;
  }

 private:
  std::mutex mu_;
  std::vector<actnet::ConnRef> refs_;
};

Figures run_actnet(const Config& c, int producers) {
  Collect handler;
  actnet::Options options{.num_event_loops = static_cast<std::size_t>(c.loops),
                          .watchdog_threshold = std::chrono::milliseconds(0),
                          .log_level = spdlog::level::warn};
  options.write_high_water = std::size_t{1} << 30;  // measure the mailbox, not backpressure
  options.write_hard_limit = std::size_t{1} << 31;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, options);
  if (!running.ok()) {
    std::fprintf(stderr, "async-write: %s\n", running.error().message.c_str());
    std::exit(1);
  }
  const actnet::Engine engine = running->engine();
  bench::Sink sink(engine.listen_addresses().at(0).port(), c.connections);
  while (handler.refs().size() < static_cast<std::size_t>(c.connections))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::vector<actnet::ConnRef> refs = handler.refs();
  auto wakeups = [&engine] {
    std::uint64_t sum = 0;
    for (const actnet::LoopStats& l : engine.stats().loops)
      sum += l.wakeups;
    return sum;
  };
  return drive(
      c, producers, sink,
      [&refs](std::size_t conn, std::string bytes) {
        (void)refs[conn].async_write(std::move(bytes));
      },
      wakeups);
}

Figures run_deque(const Config& c, int producers) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener, 1024) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("async-write: baseline listener");
    std::exit(1);
  }
  std::vector<std::unique_ptr<bench::DequeLoop>> loops;
  for (int i = 0; i < c.loops; ++i)
    loops.push_back(std::make_unique<bench::DequeLoop>());
  // Connection i lives on loop i % loops, as its index within that loop.
  std::vector<std::size_t> local;
  bench::Sink sink(ntohs(a.sin_port), c.connections);
  for (int i = 0; i < c.connections; ++i) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    local.push_back(loops[static_cast<std::size_t>(i % c.loops)]->adopt(fd));
  }
  ::close(listener);
  for (auto& loop : loops)
    loop->start();
  auto wakeups = [&loops] {
    std::uint64_t sum = 0;
    for (const auto& loop : loops)
      sum += loop->wakeups();
    return sum;
  };
  const auto n = static_cast<std::size_t>(c.loops);
  return drive(
      c, producers, sink,
      [&](std::size_t conn, std::string bytes) {
        loops[conn % n]->post(local[conn], std::move(bytes));
      },
      wakeups);
}

std::vector<int> parse_list(const char* text) {
  std::vector<int> out;
  for (const char* p = text; *p != '\0';) {
    char* end = nullptr;
    out.push_back(static_cast<int>(std::strtol(p, &end, 10)));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p != '\0') break;
  }
  return out;
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const char* value = argv[i + 1];
    if (arg == "--messages")
      c.messages = std::strtoull(value, nullptr, 10);
    else if (arg == "--size")
      c.size = std::strtoull(value, nullptr, 10);
    else if (arg == "--connections")
      c.connections = std::atoi(value);
    else if (arg == "--loops")
      c.loops = std::atoi(value);
    else if (arg == "--producers")
      c.producers = parse_list(value);
    else if (arg == "--window")
      c.window = std::strtoull(value, nullptr, 10);
    else if (arg == "--csv")
      c.csv_round = std::atoi(value);
    else {
      std::fprintf(stderr, "async-write: unknown argument %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (c.messages == 0 || c.size == 0 || c.connections <= 0 || c.loops <= 0 || c.window == 0 ||
      c.producers.empty()) {
    std::fprintf(stderr,
                 "async-write: messages, size, connections, loops, window must be positive\n");
    std::exit(2);
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const Config c = parse(argc, argv);
  if (c.csv_round == 0) {
    std::printf(
        "cross-thread async_write: %llu messages of %zu bytes to %d connections on %d loops\n",
        static_cast<unsigned long long>(c.messages), c.size, c.connections, c.loops);
    std::printf("%-9s %-12s %14s %16s %10s\n", "producers", "design", "msgs/s", "eventfd w/1000",
                "vs actnet");
  }
  bool complete = true;
  for (int producers : c.producers) {
    const Figures a = run_actnet(c, producers);
    const Figures d = run_deque(c, producers);
    complete = complete && a.complete && d.complete;
    if (c.csv_round != 0) {
      for (const auto& [server, f] : {std::pair{"actnet", a}, std::pair{"mutex-deque", d}}) {
        std::printf("mailbox,async-write-p%d,%s,%d,msgs_per_s,%.0f\n", producers, server,
                    c.csv_round, f.msgs_per_s);
        std::printf("mailbox,async-write-p%d,%s,%d,eventfd_writes_per_1000,%.2f\n", producers,
                    server, c.csv_round, f.wakeups_per_1000);
      }
      continue;
    }
    std::printf("%-9d %-12s %14.0f %16.2f %9.2fx\n", producers, "actnet", a.msgs_per_s,
                a.wakeups_per_1000, 1.0);
    std::printf("%-9d %-12s %14.0f %16.2f %9.2fx\n", producers, "mutex-deque", d.msgs_per_s,
                d.wakeups_per_1000, d.msgs_per_s / a.msgs_per_s);
    std::printf("%-9d actnet / mutex-deque = %.2fx\n", producers, a.msgs_per_s / d.msgs_per_s);
  }
  if (!complete) {
    std::fprintf(stderr, "async-write: a run did not deliver every byte within 60 s\n");
    return 1;
  }
  return 0;
}
