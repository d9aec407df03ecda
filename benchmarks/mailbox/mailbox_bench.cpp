// Mailbox throughput: actnet's Mailbox (coalesced wake-ups, bulk drain) against
//  (a) naive: std::mutex + std::deque + an eventfd write per message, and
//  (b) moodycamel::ConcurrentQueue + an eventfd write per message,
// with 1, 2 and 4 producers into one consumer that sleeps in epoll_wait when empty.
// Two consumer loads: "light" (a counter per message) and "busy" (~150 ns of work per
// message, so the consumer is the bottleneck). Prints messages/s, eventfd writes per 1,000
// messages, and each design's ratio to actnet's.
//
//   actnet-bench-mailbox [messages-per-run (default 4000000)] [--csv ROUND]
//
// --csv prints rows of benchmarks/results/mailbox.csv (mode,case,server,round,metric,value)
// instead of the table: case light-p1 ... busy-p4, servers actnet, mutex-deque and
// moodycamel-eventfd, metrics msgs_per_s and eventfd_writes_per_1000.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <concurrentqueue.h>

#include "actnet/runtime/mailbox.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// An eventfd the consumer sleeps on; counts writes.
struct Doorbell {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::atomic<std::uint64_t> writes{0};
  ~Doorbell() { close(fd); }
  void ring() {
    writes.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t one = 1;
    (void)!write(fd, &one, sizeof one);
  }
};

struct ActnetDesign {
  static constexpr const char* kName = "actnet Mailbox";
  static constexpr const char* kServer = "actnet";
  actnet::Mailbox<std::uint64_t> box{4096};
  void push(std::uint64_t v) { (void)box.push(std::move(v)); }
  template <class F>
  std::size_t drain(F&& f) {
    return box.drain(256, [&](std::uint64_t& v) noexcept { f(v); });
  }
  bool prepare_to_sleep() { return box.prepare_to_sleep(); }
  void awake(bool readable) {
    box.awake();
    if (readable) box.acknowledge_wakeup();
  }
  int fd() const { return box.wakeup_fd(); }
  std::uint64_t writes() const { return box.wakeups(); }
};

struct NaiveDesign {
  static constexpr const char* kName = "mutex+deque+eventfd/msg";
  static constexpr const char* kServer = "mutex-deque";
  std::mutex mu;
  std::deque<std::uint64_t> q;
  Doorbell bell;
  void push(std::uint64_t v) {
    {
      std::lock_guard lock(mu);
      q.push_back(v);
    }
    bell.ring();
  }
  template <class F>
  std::size_t drain(F&& f) {
    std::deque<std::uint64_t> taken;
    {
      std::lock_guard lock(mu);
      taken.swap(q);
    }
    for (auto v : taken)
      f(v);
    return taken.size();
  }
  bool prepare_to_sleep() { return true; }  // every push rings, so sleeping is always safe
  void awake(bool readable) {
    std::uint64_t n;
    if (readable) (void)!read(bell.fd, &n, sizeof n);
  }
  int fd() const { return bell.fd; }
  std::uint64_t writes() const { return bell.writes.load(); }
};

struct MoodycamelDesign {
  static constexpr const char* kName = "moodycamel+eventfd/msg";
  static constexpr const char* kServer = "moodycamel-eventfd";
  moodycamel::ConcurrentQueue<std::uint64_t> q{4096};
  moodycamel::ConsumerToken token{q};
  Doorbell bell;
  void push(std::uint64_t v) {
    q.enqueue(v);
    bell.ring();
  }
  template <class F>
  std::size_t drain(F&& f) {
    std::uint64_t buf[64];
    std::size_t total = 0;
    while (total < 256) {
      std::size_t n = q.try_dequeue_bulk(token, buf, 64);
      for (std::size_t i = 0; i < n; ++i)
        f(buf[i]);
      total += n;
      if (n < 64) break;
    }
    return total;
  }
  bool prepare_to_sleep() { return true; }
  void awake(bool readable) {
    std::uint64_t n;
    if (readable) (void)!read(bell.fd, &n, sizeof n);
  }
  int fd() const { return bell.fd; }
  std::uint64_t writes() const { return bell.writes.load(); }
};

struct Figures {
  double msgs_per_s;
  double writes_per_1000;
};

inline void busy_work(std::uint64_t& sink, int iterations) {
  for (int i = 0; i < iterations; ++i) {
    sink = sink * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(sink));
  }
}

template <class Design>
Figures run(int producers, std::uint64_t total, int work) {
  Design d;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, d.fd(), &ev);

  const std::uint64_t per = total / static_cast<std::uint64_t>(producers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      for (std::uint64_t i = 0; i < per; ++i)
        d.push(i);
    });
  }
  const std::uint64_t expected = per * static_cast<std::uint64_t>(producers);
  std::uint64_t got = 0, sink = 0;
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  while (got < expected) {
    std::size_t n = d.drain([&](std::uint64_t v) {
      sink += v;
      busy_work(sink, work);
    });
    got += n;
    if (n == 0 && d.prepare_to_sleep()) {
      epoll_event out;
      int r = epoll_wait(ep, &out, 1, 100);
      d.awake(r > 0);
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& t : threads)
    t.join();
  close(ep);
  if (sink == 42) std::puts("");  // keep the work
  return {static_cast<double>(got) / secs,
          1000.0 * static_cast<double>(d.writes()) / static_cast<double>(got)};
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t total = 4'000'000;
  int csv_round = 0;  // 0: print the table
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--csv" && i + 1 < argc) {
      csv_round = std::atoi(argv[++i]);
    } else {
      total = std::strtoull(argv[i], nullptr, 10);
    }
  }
  if (csv_round == 0) {
    std::printf("mailbox throughput, %llu messages per run, one consumer sleeping in epoll_wait\n",
                static_cast<unsigned long long>(total));
    std::printf("%-6s %-9s %-26s %14s %16s %10s\n", "load", "producers", "design", "msgs/s",
                "eventfd w/1000", "vs actnet");
  }
  for (int work : {0, 40}) {
    for (int producers : {1, 2, 4}) {
      const Figures a = run<ActnetDesign>(producers, total, work);
      const Figures n = run<NaiveDesign>(producers, total, work);
      const Figures m = run<MoodycamelDesign>(producers, total, work);
      const char* load = work == 0 ? "light" : "busy";
      if (csv_round != 0) {
        auto rows = [&](const char* server, const Figures& f) {
          std::printf("mailbox,%s-p%d,%s,%d,msgs_per_s,%.0f\n", load, producers, server, csv_round,
                      f.msgs_per_s);
          std::printf("mailbox,%s-p%d,%s,%d,eventfd_writes_per_1000,%.2f\n", load, producers,
                      server, csv_round, f.writes_per_1000);
        };
        rows(ActnetDesign::kServer, a);
        rows(NaiveDesign::kServer, n);
        rows(MoodycamelDesign::kServer, m);
        continue;
      }
      auto row = [&](const char* name, const Figures& f) {
        std::printf("%-6s %-9d %-26s %14.0f %16.2f %9.2fx\n", load, producers, name, f.msgs_per_s,
                    f.writes_per_1000, f.msgs_per_s / a.msgs_per_s);
      };
      row(ActnetDesign::kName, a);
      row(NaiveDesign::kName, n);
      row(MoodycamelDesign::kName, m);
      std::printf("%-6s %-9d actnet / naive = %.2fx, actnet / moodycamel+eventfd = %.2fx\n", load,
                  producers, a.msgs_per_s / n.msgs_per_s, a.msgs_per_s / m.msgs_per_s);
    }
  }
  return 0;
}
