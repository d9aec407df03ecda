#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/runtime/mailbox.hpp"
#include "runtime/mailbox_sleeper.hpp"

using actnet::Mailbox;
using actnet::PushResult;

namespace {

struct Numbered {
  std::uint32_t producer;
  std::uint32_t seq;
};

}  // namespace

TEST_CASE(
    "Eight producers pushing a million messages each lose none and duplicate none and keep FIFO "
    "per producer",
    "[mailbox][concurrency]") {
  constexpr std::uint32_t kProducers = 8;
  constexpr std::uint32_t kPerProducer = 1'000'000;
  Mailbox<Numbered> mailbox;
  MailboxSleeper<Numbered> consumer(mailbox);

  std::atomic<bool> go{false};
  std::atomic<int> refused{0};  // Catch2 assertions are not thread-safe: count instead
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      for (std::uint32_t i = 0; i < kPerProducer; ++i) {
        if (mailbox.push(Numbered{p, i}) != PushResult::ok) refused.fetch_add(1);
      }
    });
  }
  go.store(true, std::memory_order_release);

  std::vector<std::uint32_t> next(kProducers, 0);
  std::uint64_t received = 0, out_of_order = 0;
  auto handle = [&](Numbered& m) noexcept {
    if (m.producer >= kProducers || m.seq != next[m.producer])
      ++out_of_order;
    else
      ++next[m.producer];
    ++received;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (received < std::uint64_t{kProducers} * kPerProducer &&
         std::chrono::steady_clock::now() < deadline) {
    consumer.turn(handle, 1000);
  }
  for (auto& t : producers)
    t.join();
  consumer.turn(handle, 0);  // anything late would be a duplicate

  CHECK(refused == 0);
  CHECK(out_of_order == 0);
  CHECK(received == std::uint64_t{kProducers} * kPerProducer);
  for (std::uint32_t p = 0; p < kProducers; ++p)
    CHECK(next[p] == kPerProducer);
  CHECK(consumer.timeouts == 0);  // every sleep with messages on their way was woken
}

TEST_CASE(
    "Two threads sleeping in epoll on their mailboxes ping-pong 200000 times without a lost "
    "wake-up",
    "[mailbox][concurrency]") {
  constexpr int kRounds = 200'000;
  constexpr int kLostAfterMs = 5000;  // a sleep this long with a message due is a lost wake-up
  Mailbox<int> to_a, to_b;
  std::size_t timeouts_b = 0, sleeps_b = 0;

  const auto start = std::chrono::steady_clock::now();
  std::thread b([&] {
    MailboxSleeper<int> sleeper(to_b);
    int last = -1;
    while (last < kRounds - 1 && sleeper.timeouts == 0) {
      sleeper.turn(
          [&](int& v) noexcept {
            last = v;
            (void)to_a.push(int{v});
          },
          kLostAfterMs, 1);
    }
    timeouts_b = sleeper.timeouts;
    sleeps_b = sleeper.sleeps;
  });

  MailboxSleeper<int> sleeper(to_a);
  int expected = 0, wrong = 0;
  REQUIRE(to_b.push(0) == PushResult::ok);
  while (expected < kRounds && sleeper.timeouts == 0) {
    sleeper.turn(
        [&](int& v) noexcept {
          if (v != expected) ++wrong;
          ++expected;
          if (expected < kRounds) (void)to_b.push(int{expected});
        },
        kLostAfterMs, 1);
  }
  b.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  CHECK(wrong == 0);
  CHECK(expected == kRounds);
  CHECK(sleeper.timeouts == 0);
  CHECK(timeouts_b == 0);
  CHECK(sleeper.sleeps + sleeps_b > 0);  // the sleep path was exercised, not just spinning
  CHECK(elapsed < std::chrono::minutes(3));
}

TEST_CASE("A push to a closed mailbox returns the message to its sender", "[mailbox]") {
  Mailbox<std::unique_ptr<int>> mailbox;
  std::vector<int> rejected;
  REQUIRE(mailbox.push(std::make_unique<int>(1)) == PushResult::ok);
  REQUIRE(mailbox.push(std::make_unique<int>(2)) == PushResult::ok);

  const std::size_t n =
      mailbox.close([&](std::unique_ptr<int>& m) noexcept { rejected.push_back(*m); });
  CHECK(n == 2);
  CHECK(rejected == std::vector<int>{1, 2});
  CHECK(mailbox.is_closed());

  auto msg = std::make_unique<int>(3);
  CHECK(mailbox.push(std::move(msg)) == PushResult::closed);
  REQUIRE(msg != nullptr);  // still the sender's, untouched
  CHECK(*msg == 3);
  CHECK(mailbox.size_approx() == 0);
}

TEST_CASE("Closing a mailbox while producers push accounts for every message exactly once",
          "[mailbox][concurrency]") {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 100'000;
  Mailbox<int> mailbox;
  std::atomic<int> returned{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&] {
      while (!go.load())
        std::this_thread::yield();
      for (int i = 0; i < kPerProducer; ++i) {
        if (mailbox.push(int{i}) == PushResult::closed) returned.fetch_add(1);
      }
    });
  }
  go.store(true);
  std::size_t handled = 0;
  while (handled < kProducers * kPerProducer / 3)
    handled += mailbox.drain(256, [](int&) noexcept {});
  const std::size_t rejected = mailbox.close([](int&) noexcept {});
  for (auto& t : producers)
    t.join();

  CHECK(handled + rejected + static_cast<std::size_t>(returned.load()) ==
        static_cast<std::size_t>(kProducers) * kPerProducer);
  CHECK(mailbox.drain(SIZE_MAX, [](int&) noexcept {}) == 0);
}

TEST_CASE("A busy consumer costs producers no eventfd writes", "[mailbox]") {
  Mailbox<int> mailbox;
  for (int i = 0; i < 10'000; ++i)
    REQUIRE(mailbox.push(int{i}) == PushResult::ok);
  CHECK(mailbox.wakeups() == 0);  // nobody announced sleep

  std::size_t n = 0;
  while (n < 10'000)
    n += mailbox.drain(100, [](int&) noexcept {});
  REQUIRE(mailbox.prepare_to_sleep());
  REQUIRE(mailbox.push(1) == PushResult::ok);
  REQUIRE(mailbox.push(2) == PushResult::ok);
  CHECK(mailbox.wakeups() == 1);  // one write for a sleeping consumer, however many pushes
}

TEST_CASE("A consumer that announces sleep with messages queued is told not to sleep",
          "[mailbox]") {
  Mailbox<int> mailbox;
  REQUIRE(mailbox.push(7) == PushResult::ok);
  CHECK_FALSE(mailbox.prepare_to_sleep());
  CHECK(mailbox.wakeups() == 0);
}

TEST_CASE("Drain hands over no more than its budget and keeps the rest in order", "[mailbox]") {
  Mailbox<int> mailbox;
  for (int i = 0; i < 300; ++i)
    REQUIRE(mailbox.push(int{i}) == PushResult::ok);
  std::vector<int> seen;
  auto take = [&](int& v) noexcept { seen.push_back(v); };
  CHECK(mailbox.drain(100, take) == 100);
  CHECK(seen.size() == 100);
  CHECK(mailbox.drain(1000, take) == 200);
  for (int i = 0; i < 300; ++i)
    REQUIRE(seen[static_cast<std::size_t>(i)] == i);
  CHECK(mailbox.drain(1000, take) == 0);
}

TEST_CASE("Mailbox messages need no default constructor", "[mailbox]") {
  struct NoDefault {
    explicit NoDefault(int v) : value(v) {}
    int value;
  };
  Mailbox<NoDefault> mailbox;
  REQUIRE(mailbox.push(NoDefault{41}) == PushResult::ok);
  int got = 0;
  mailbox.drain(1, [&](NoDefault& m) noexcept { got = m.value + 1; });
  CHECK(got == 42);
}
