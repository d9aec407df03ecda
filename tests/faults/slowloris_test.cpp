// Fault: Slowloris against the actnet-http binary. 1,000 connections each send one byte of a
// request head per second; the server's read deadline closes every one of them within the
// deadline plus slack, answers none of them, and meanwhile a normal client's GET /plaintext
// on a fresh connection is answered well within a second, again and again.
//
// The deadline is actnet-http's head deadline (--head-timeout MS): a trickle of bytes cannot
// extend it, as it could an idle timeout.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "faults/process_fds.hpp"

#ifdef ACTNET_HTTP_BINARY

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSlow = 1000;
constexpr const char* kDeadlineFlag = "--head-timeout";
constexpr std::chrono::milliseconds kDeadline{2000};
constexpr std::chrono::milliseconds kSlack{3000};  // a slow CI machine, sanitizers, turns
constexpr std::chrono::milliseconds kFastEnough{1000};
constexpr std::string_view kHead =
    "GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slowloris\r\nX-Pad: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// One GET /plaintext on a fresh connection: how long the whole answer took, or nothing if it
// did not come within 5 s.
std::optional<Clock::duration> timed_get(int port) {
  const auto start = Clock::now();
  const int fd = connect_loopback(port);
  if (fd < 0) return std::nullopt;
  const std::string_view request = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
  std::optional<Clock::duration> took;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    std::string answer;
    char buf[4096];
    while (Clock::now() - start < 5s) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
      if (answer.starts_with("HTTP/1.1 200") && answer.ends_with("Hello, World!")) {
        took = Clock::now() - start;
        break;
      }
    }
  }
  ::close(fd);
  return took;
}

struct SlowConn {
  int fd = -1;
  Clock::time_point opened;
  std::size_t sent = 0;  // bytes of kHead
  std::optional<Clock::duration> lived;
  bool answered = false;  // the server wrote something back
};

// Sends byte `c.sent` of the head; false once the connection is gone.
bool trickle(SlowConn& c) {
  if (c.sent >= kHead.size()) return true;
  const ssize_t n = ::send(c.fd, kHead.data() + c.sent, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == 1) ++c.sent;
  return n == 1 || errno == EAGAIN;
}

}  // namespace

TEST_CASE(
    "actnet-http closes 1,000 Slowloris connections at its read deadline while a normal client "
    "is answered at once",
    "[faults][slowloris][serial]") {
  const rlim_t limit = faults::raise_fd_limit();
  if (limit < kSlow + 256) {
    WARN("skipped: RLIMIT_NOFILE allows " << limit << " descriptors, the test needs "
                                          << kSlow + 256);
    return;
  }
  child_process::TempDir dir;
  int port = 0;
  auto server = child_process::start_server(
      dir, "actnet-http",
      [](int p) {
        return std::vector<std::string>{ACTNET_HTTP_BINARY,
                                        "--addr",
                                        "tcp://127.0.0.1:" + std::to_string(p),
                                        "--loops",
                                        "2",
                                        kDeadlineFlag,
                                        std::to_string(kDeadline.count())};
      },
      port);

  // The normal client asks again and again until the slow connections are all gone.
  std::atomic<bool> slow_phase{true};
  std::atomic<int> slow_open{0};
  std::atomic<int> normal_ok{0}, normal_failed{0}, most_slow_open_during_a_request{0};
  std::atomic<long long> slowest_answer_ms{0};
  std::thread normal([&] {
    while (slow_phase.load()) {
      const int open_now = slow_open.load();
      const auto took = timed_get(port);
      if (took) {
        normal_ok.fetch_add(1);
        const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(*took).count();
        if (ms > slowest_answer_ms.load()) slowest_answer_ms.store(ms);
        if (open_now > most_slow_open_during_a_request.load())
          most_slow_open_during_a_request.store(open_now);
      } else {
        normal_failed.fetch_add(1);
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  std::vector<SlowConn> slow(kSlow);
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  REQUIRE(epoll >= 0);
  int connected = 0;
  for (int i = 0; i < kSlow; ++i) {
    SlowConn& c = slow[static_cast<std::size_t>(i)];
    c.fd = connect_loopback(port);
    if (c.fd < 0) continue;
    ++connected;
    c.opened = Clock::now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &ev);
    trickle(c);
    slow_open.fetch_add(1);
  }
  // One byte per second per connection, until the server has closed every one of them.
  const auto give_up = Clock::now() + kDeadline + kSlack + 2s;
  epoll_event events[256];
  while (slow_open.load() > 0 && Clock::now() < give_up) {
    const int n = ::epoll_wait(epoll, events, 256, 50);
    const auto now = Clock::now();
    for (int e = 0; e < n; ++e) {
      SlowConn& c = slow[events[e].data.u32];
      char buf[4096];
      const ssize_t r = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        c.answered = true;
        continue;
      }
      if (r < 0 && errno == EAGAIN) continue;
      c.lived = now - c.opened;
      ::epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
      slow_open.fetch_sub(1);
    }
    for (SlowConn& c : slow) {
      if (c.fd < 0 || c.lived) continue;
      if (now - c.opened >= std::chrono::seconds(c.sent)) trickle(c);
    }
  }
  slow_phase = false;
  normal.join();
  ::close(epoll);

  CHECK(connected == kSlow);
  int closed_in_time = 0, answered = 0;
  Clock::duration longest{0};
  for (SlowConn& c : slow) {
    if (c.lived) {
      longest = std::max(longest, *c.lived);
      closed_in_time += *c.lived <= kDeadline + kSlack ? 1 : 0;
    }
    answered += c.answered ? 1 : 0;
    if (c.fd >= 0) ::close(c.fd);
  }
  INFO("the longest-lived slow connection lasted "
       << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms");
  CHECK(closed_in_time == kSlow);
  CHECK(answered == 0);  // no part of a head is ever answered
  INFO("most slow connections open when a normal request started: "
       << most_slow_open_during_a_request.load());
  CHECK(normal_failed.load() == 0);
  CHECK(normal_ok.load() >= 2);
  CHECK(most_slow_open_during_a_request.load() >= kSlow / 2);
  CHECK(slowest_answer_ms.load() < kFastEnough.count());
  CHECK(server->running());  // it survived them
}

#endif  // ACTNET_HTTP_BINARY
