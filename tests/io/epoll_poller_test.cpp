#include "actnet/io/epoll_poller.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/socket.hpp"
#include "io/loopback.hpp"

using namespace actnet::io;
using Clock = std::chrono::steady_clock;

static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_abstract_v<Poller>);
static_assert(std::is_base_of_v<Poller, EpollPoller>);

namespace {

EpollPoller open_poller() {
  auto poller = EpollPoller::open();
  REQUIRE(poller.ok());
  return std::move(*poller);
}

// A connected AF_UNIX stream pair, both ends non-blocking.
struct SocketPair {
  UniqueFd a, b;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
};

std::vector<PollEvent> wait_events(Poller& poller, int timeout_ms) {
  auto batch = poller.wait(timeout_ms);
  REQUIRE(batch.ok());
  return {batch->begin(), batch->end()};
}

// The one event for `token` in a wait, if any.
std::optional<Ready> ready_for(Poller& poller, std::uint64_t token, int timeout_ms) {
  std::optional<Ready> found;
  for (const PollEvent& ev : wait_events(poller, timeout_ms)) {
    if (ev.token == token) {
      REQUIRE_FALSE(found.has_value());  // one event per fd per wait
      found = ev.ready;
    }
  }
  return found;
}

void drain(int fd) {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

TEST_CASE("A level-triggered readable registration is reported on every wait until drained",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  SocketPair pair;
  constexpr std::uint64_t token = 0xFFFF'FFFF'FFFF'FFFEull;  // all 64 bits come back
  REQUIRE(poller.add(pair.a.get(), Interest::readable, token).ok());

  CHECK_FALSE(ready_for(poller, token, 0).has_value());
  REQUIRE(::write(pair.b.get(), "hello", 5) == 5);
  for (int i = 0; i < 3; ++i) {
    auto ready = ready_for(poller, token, 1000);
    REQUIRE(ready.has_value());
    CHECK(has(*ready, Ready::readable));
    CHECK_FALSE(has(*ready, Ready::writable | Ready::hang_up | Ready::error));
  }
  drain(pair.a.get());
  CHECK_FALSE(ready_for(poller, token, 0).has_value());
}

TEST_CASE("An edge-triggered registration is reported once per arrival of data", "[epoll_poller]") {
  EpollPoller poller = open_poller();
  SocketPair pair;
  REQUIRE(poller.add(pair.a.get(), Interest::readable | Interest::edge_triggered, 7).ok());

  REQUIRE(::write(pair.b.get(), "one", 3) == 3);
  auto first = ready_for(poller, 7, 1000);
  REQUIRE(first.has_value());
  CHECK(has(*first, Ready::readable));
  // Unread data, but no new edge: nothing more to report.
  CHECK_FALSE(ready_for(poller, 7, 0).has_value());
  CHECK_FALSE(ready_for(poller, 7, 0).has_value());

  REQUIRE(::write(pair.b.get(), "two", 3) == 3);  // a new arrival is a new edge
  CHECK(ready_for(poller, 7, 1000).has_value());
  CHECK_FALSE(ready_for(poller, 7, 0).has_value());
}

TEST_CASE("modify changes the interest and the token and remove stops the reports",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  SocketPair pair;
  REQUIRE(poller.add(pair.a.get(), Interest::readable, 1).ok());
  CHECK_FALSE(ready_for(poller, 1, 0).has_value());  // nothing to read yet

  // An idle socket is writable at once.
  REQUIRE(poller.modify(pair.a.get(), Interest::readable | Interest::writable, 2).ok());
  auto writable = ready_for(poller, 2, 1000);
  REQUIRE(writable.has_value());
  CHECK(has(*writable, Ready::writable));
  CHECK_FALSE(has(*writable, Ready::readable));

  REQUIRE(poller.modify(pair.a.get(), Interest::readable, 3).ok());
  CHECK(wait_events(poller, 0).empty());
  REQUIRE(::write(pair.b.get(), "x", 1) == 1);
  auto readable = ready_for(poller, 3, 1000);
  REQUIRE(readable.has_value());
  CHECK(*readable == Ready::readable);

  REQUIRE(poller.remove(pair.a.get()).ok());
  CHECK(wait_events(poller, 0).empty());  // still readable, but no longer registered
}

TEST_CASE("Registration mistakes come back as errors naming epoll_ctl and the errno meaning",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  SocketPair pair;
  REQUIRE(poller.add(pair.a.get(), Interest::readable, 1).ok());

  auto twice = poller.add(pair.a.get(), Interest::readable, 1);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == std::errc::file_exists);
  CHECK_THAT(twice.error().message,
             Catch::Contains("epoll_ctl(EPOLL_CTL_ADD) of fd " + std::to_string(pair.a.get())) &&
                 Catch::Contains("File exists"));

  auto unknown = poller.modify(pair.b.get(), Interest::readable, 2);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == std::errc::no_such_file_or_directory);
  CHECK_THAT(unknown.error().message, Catch::Contains("EPOLL_CTL_MOD"));

  auto gone = poller.remove(pair.b.get());
  REQUIRE_FALSE(gone.ok());
  CHECK_THAT(gone.error().message, Catch::Contains("EPOLL_CTL_DEL"));

  auto bad = poller.add(-1, Interest::readable, 3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == std::errc::bad_file_descriptor);
}

TEST_CASE("wait returns no events after roughly its timeout when nothing is ready",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  SocketPair pair;
  REQUIRE(poller.add(pair.a.get(), Interest::readable, 1).ok());

  const auto start = Clock::now();
  CHECK(wait_events(poller, 100).empty());
  const auto waited = Clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(90));  // epoll rounds up, never down (much)
  CHECK(waited < std::chrono::seconds(10));

  const auto zero = Clock::now();
  CHECK(wait_events(poller, 0).empty());
  CHECK(Clock::now() - zero < std::chrono::seconds(5));
}

TEST_CASE("A peer that closes is reported as hang-up together with readable EOF",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  auto listener = listen_tcp(actnet_test::loopback_v4());
  REQUIRE(listener.ok());
  auto connecting = start_connect(*local_address(listener->get()));
  REQUIRE(connecting.ok());
  REQUIRE(actnet_test::wait_for(listener->get(), POLLIN) != 0);
  auto accepted = accept_one(listener->get());
  REQUIRE((accepted.ok() && accepted->has_value()));
  const int server = (*accepted)->fd.get();
  REQUIRE(poller.add(server, Interest::readable, 5).ok());
  CHECK_FALSE(ready_for(poller, 5, 0).has_value());

  connecting->fd.reset();  // the client closes
  auto ready = ready_for(poller, 5, 5000);
  REQUIRE(ready.has_value());
  CHECK(has(*ready, Ready::hang_up));
  CHECK(has(*ready, Ready::readable));
  char byte;
  CHECK(::read(server, &byte, 1) == 0);
}

TEST_CASE("A refused connect is reported as an error that finish_connect explains",
          "[epoll_poller]") {
  SocketAddress closed;
  {
    auto listener = listen_tcp(actnet_test::loopback_v4());
    REQUIRE(listener.ok());
    closed = *local_address(listener->get());
  }
  auto connecting = start_connect(closed);
  if (!connecting) {
    SUCCEED("the kernel refused at once: nothing for the poller to report");
    return;
  }
  EpollPoller poller = open_poller();
  REQUIRE(poller.add(connecting->fd.get(), Interest::writable, 9).ok());
  auto ready = ready_for(poller, 9, 5000);
  REQUIRE(ready.has_value());
  CHECK(has(*ready, Ready::error));
  auto finished = finish_connect(connecting->fd.get());
  REQUIRE_FALSE(finished.ok());
  CHECK(finished.error().code == std::errc::connection_refused);
}

TEST_CASE("An eventfd written from another thread wakes a wait with its token",
          "[epoll_poller][concurrency]") {
  EpollPoller poller = open_poller();
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  REQUIRE(wake.valid());
  constexpr std::uint64_t kMailbox = 0xAC7;
  REQUIRE(poller.add(wake.get(), Interest::readable, kMailbox).ok());

  const auto start = Clock::now();
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
  });
  std::vector<PollEvent> events;
  // Bounded: a broken wake-up fails after 10 s instead of hanging.
  while (events.empty() && Clock::now() - start < std::chrono::seconds(10)) {
    events = wait_events(poller, 10'000);
  }
  producer.join();
  REQUIRE(events.size() == 1);
  CHECK(events[0].token == kMailbox);
  CHECK(has(events[0].ready, Ready::readable));
  std::uint64_t count = 0;
  CHECK(::read(wake.get(), &count, sizeof count) == sizeof count);
  CHECK(count == 1);
}

namespace {
void on_signal(int) {}
}  // namespace

TEST_CASE("A wait interrupted by a signal returns an empty batch instead of an error",
          "[epoll_poller][concurrency]") {
  // No SA_RESTART: epoll_wait is never restarted anyway, it fails with EINTR.
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);

  EpollPoller poller = open_poller();
  SocketPair pair;
  REQUIRE(poller.add(pair.a.get(), Interest::readable, 1).ok());
  const pthread_t waiter = ::pthread_self();
  std::atomic<bool> done{false};
  std::thread interrupter([&] {
    // Keep signalling until the waiter comes back, in case one lands before epoll_wait.
    while (!done.load()) {
      ::pthread_kill(waiter, SIGUSR1);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const auto start = Clock::now();
  auto batch = poller.wait(10'000);
  const auto waited = Clock::now() - start;
  done.store(true);
  interrupter.join();
  ::sigaction(SIGUSR1, &previous, nullptr);

  REQUIRE(batch.ok());
  CHECK(batch->empty());
  CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("The event array grows while waits fill it and shrinks after a run of light waits",
          "[epoll_poller]") {
  EpollPoller poller = open_poller();
  CHECK(poller.capacity() == EpollPoller::kMinEvents);

  // 600 always-readable eventfds: more than one batch at the starting size.
  constexpr std::size_t kFds = 600;
  std::vector<UniqueFd> fds;
  for (std::size_t i = 0; i < kFds; ++i) {
    fds.emplace_back(::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC));
    REQUIRE(fds.back().valid());
    REQUIRE(poller.add(fds.back().get(), Interest::readable, i).ok());
  }
  CHECK(wait_events(poller, 0).size() == 128);
  CHECK(poller.capacity() == 256);
  CHECK(wait_events(poller, 0).size() == 256);
  CHECK(poller.capacity() == 512);
  CHECK(wait_events(poller, 0).size() == 512);
  CHECK(poller.capacity() == 1024);
  CHECK(wait_events(poller, 0).size() == kFds);  // all of them in one batch now
  CHECK(poller.capacity() == 1024);              // not full: no further growth

  for (auto& fd : fds)
    REQUIRE(poller.remove(fd.get()).ok());
  for (unsigned i = 1; i < EpollPoller::kShrinkAfter; ++i)
    CHECK(wait_events(poller, 0).empty());
  CHECK(poller.capacity() == 1024);  // one light wait is not a trend
  CHECK(wait_events(poller, 0).empty());
  CHECK(poller.capacity() == 512);
  for (int i = 0; i < 10 * static_cast<int>(EpollPoller::kShrinkAfter); ++i) {
    CHECK(wait_events(poller, 0).empty());
  }
  CHECK(poller.capacity() == EpollPoller::kMinEvents);  // never below the floor
}

TEST_CASE("make_default_poller gives an epoll backend behind the Poller interface",
          "[epoll_poller]") {
  auto poller = make_default_poller();
  REQUIRE(poller.ok());
  CHECK(std::string((*poller)->name()) == "epoll");
  SocketPair pair;
  REQUIRE((*poller)->add(pair.a.get(), Interest::writable, 42).ok());
  CHECK(ready_for(**poller, 42, 1000).has_value());
}
