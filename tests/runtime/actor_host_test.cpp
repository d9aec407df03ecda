#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/runtime/actor.hpp"
#include "actnet/runtime/actor_host.hpp"
#include "actnet/runtime/error.hpp"
#include "runtime/mailbox_sleeper.hpp"

using actnet::Actor;
using actnet::ActorHost;
using actnet::ActorRef;
using actnet::Errc;

namespace {

// Counts what it receives into a place the test can read.
class Counter final : public Actor<int> {
 public:
  explicit Counter(std::vector<int>& seen) : seen_(seen) {}
  void receive(int& v) override {
    if (v < 0) stop();
    seen_.push_back(v);
  }

 private:
  std::vector<int>& seen_;
};

class Thrower final : public Actor<std::string> {
 public:
  void receive(std::string& s) override { throw std::runtime_error("bad message: " + s); }
};

class Lifecycle final : public Actor<int> {
 public:
  Lifecycle(int& starts, int& stops) : starts_(starts), stops_(stops) {}
  void receive(int&) override {}

 protected:
  void on_start() override { ++starts_; }
  void on_stop() override { ++stops_; }

 private:
  int& starts_;
  int& stops_;
};

std::error_code outcome_of(const ActorRef<int>& ref, int msg, ActorHost& host) {
  std::error_code got = Errc::timed_out;
  ref.send(msg, [&](std::error_code ec) { got = ec; });
  host.run_once();
  return got;
}

}  // namespace

TEST_CASE("An actor receives what is sent to it in order and the sender hears success", "[actor]") {
  ActorHost host;
  std::vector<int> seen;
  auto ref = host.spawn<Counter>(seen);
  int done = 0;
  for (int i = 0; i < 5; ++i)
    CHECK_FALSE(ref.send(i, [&](std::error_code ec) { done += !ec; }));
  CHECK(seen.empty());  // nothing runs until the host drains
  CHECK(host.run_once() == 5);
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(done == 5);
}

TEST_CASE("A stale ActorRef reports an error and never delivers to the slot's new occupant",
          "[actor]") {
  ActorHost host;
  std::vector<int> old_seen, new_seen;
  auto old_ref = host.spawn<Counter>(old_seen);
  CHECK(outcome_of(old_ref, -1, host) == std::error_code{});  // the actor stops itself
  CHECK(host.actor_count() == 0);

  auto new_ref = host.spawn<Counter>(new_seen);
  REQUIRE(new_ref.id().slot == old_ref.id().slot);              // the slot was reused...
  REQUIRE(new_ref.id().generation != old_ref.id().generation);  // ...under a new generation

  CHECK(outcome_of(old_ref, 42, host) == Errc::actor_stopped);
  CHECK(new_seen.empty());
  CHECK(outcome_of(new_ref, 7, host) == std::error_code{});
  CHECK(new_seen == std::vector<int>{7});
  CHECK(old_seen == std::vector<int>{-1});
}

TEST_CASE("A message queued before its actor stopped completes with actor_stopped", "[actor]") {
  ActorHost host;
  std::vector<int> seen;
  auto ref = host.spawn<Counter>(seen);
  std::vector<std::error_code> outcomes;
  for (int v : {1, -1, 2, 3})
    ref.send(v, [&](std::error_code ec) { outcomes.push_back(ec); });
  host.run_once();
  REQUIRE(outcomes.size() == 4);
  CHECK_FALSE(outcomes[0]);
  CHECK_FALSE(outcomes[1]);
  CHECK(outcomes[2] == Errc::actor_stopped);
  CHECK(outcomes[3] == Errc::actor_stopped);
  CHECK(seen == std::vector<int>{1, -1});
}

TEST_CASE(
    "An actor under the stop policy whose receive throws is stopped and its sender hears "
    "actor_failed",
    "[actor]") {
  ActorHost host;
  auto ref = host.spawn_supervised<Thrower>({.on_failure = actnet::OnFailure::stop});
  std::error_code first, second;
  ref.send("boom", [&](std::error_code ec) { first = ec; });
  ref.send("again", [&](std::error_code ec) { second = ec; });
  host.run_once();
  CHECK(first == Errc::actor_failed);
  CHECK(second == Errc::actor_stopped);
  CHECK(host.actor_count() == 0);
}

TEST_CASE(
    "A send to a stopped host hands the message back with mailbox_closed on the caller's thread",
    "[actor]") {
  std::vector<int> seen;
  ActorRef<int> ref;
  {
    ActorHost host;
    ref = host.spawn<Counter>(seen);
    std::error_code queued_outcome;
    ref.send(1, [&](std::error_code ec) { queued_outcome = ec; });
    host.stop();  // the queued message is failed, not dropped
    CHECK(queued_outcome == Errc::mailbox_closed);
  }
  // The host is gone; the ref still holds its mailbox and fails cleanly.
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  std::error_code outcome;
  CHECK(ref.send(2, [&](std::error_code ec) {
    outcome = ec;
    ran_on = std::this_thread::get_id();
  }) == Errc::mailbox_closed);
  CHECK(outcome == Errc::mailbox_closed);
  CHECK(ran_on == caller);
  CHECK(seen.empty());
}

TEST_CASE("A default-constructed ActorRef fails with actor_stopped", "[actor]") {
  ActorRef<int> ref;
  CHECK_FALSE(ref);
  std::error_code outcome;
  CHECK(ref.send(1, [&](std::error_code ec) { outcome = ec; }) == Errc::actor_stopped);
  CHECK(outcome == Errc::actor_stopped);
}

TEST_CASE("on_start runs at spawn and on_stop runs once when the host stops", "[actor]") {
  int starts = 0, stops = 0;
  {
    ActorHost host;
    host.spawn<Lifecycle>(starts, stops);
    host.spawn<Lifecycle>(starts, stops);
    CHECK(starts == 2);
    CHECK(stops == 0);
    host.stop();
    CHECK(stops == 2);
    CHECK(host.actor_count() == 0);
  }
  CHECK(stops == 2);  // the destructor does not stop them twice
}

TEST_CASE("An actor hands out refs to itself that reach it", "[actor]") {
  struct Echo final : Actor<int> {
    ActorRef<int>* out;
    int* last;
    Echo(ActorRef<int>* o, int* l) : out(o), last(l) {}
    void receive(int& v) override {
      *last = v;
      if (v < 3) self().send(v + 1);
      *out = self();
    }
  };
  ActorHost host;
  ActorRef<int> captured;
  int last = 0;
  auto ref = host.spawn<Echo>(&captured, &last);
  ref.send(0);
  while (host.run_once() > 0) {
  }
  CHECK(last == 3);
  CHECK(captured == ref);
}

TEST_CASE("Actors receive every message sent from many threads and every completion runs once",
          "[actor][concurrency]") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  ActorHost host;
  std::vector<int> seen;
  auto ref = host.spawn<Counter>(seen);
  std::atomic<int> completions{0}, failures{0};

  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ref.send(t * kPerThread + i, [&](std::error_code ec) {
          completions.fetch_add(1, std::memory_order_relaxed);
          if (ec) failures.fetch_add(1, std::memory_order_relaxed);
        });
      }
    });
  }
  MailboxSleeper<actnet::Envelope> sleeper(host.inbox());
  const auto total = static_cast<std::size_t>(kThreads * kPerThread);
  while (seen.size() < total && sleeper.timeouts == 0) {
    if (host.run_once() == 0) sleeper.sleep(5000);  // a lost wake-up shows as a timeout
  }
  for (auto& t : senders)
    t.join();
  host.run_once();

  CHECK(seen.size() == static_cast<std::size_t>(kThreads * kPerThread));
  CHECK(completions.load() == kThreads * kPerThread);
  CHECK(failures.load() == 0);
  CHECK(sleeper.timeouts == 0);
  // FIFO per producer: each thread's numbers arrive in increasing order.
  std::vector<int> last(kThreads, -1);
  int disorder = 0;
  for (int v : seen) {
    const int t = v / kPerThread;
    if (v <= last[static_cast<std::size_t>(t)]) ++disorder;
    last[static_cast<std::size_t>(t)] = v;
  }
  CHECK(disorder == 0);
  CHECK(host.messages_handled() == static_cast<std::uint64_t>(kThreads * kPerThread));
}

namespace {

// Keeps a count in its own state and throws on a negative number.
class Fragile final : public Actor<int> {
 public:
  explicit Fragile(std::vector<int>& starts) : starts_(starts) { starts_.push_back(0); }
  void receive(int& v) override {
    if (v < 0) throw std::runtime_error("negative");
    state_ += v;
    starts_.back() = state_;
  }

 private:
  std::vector<int>& starts_;  // one entry per incarnation: its running sum
  int state_ = 0;
};

}  // namespace

TEST_CASE("A failing actor is restarted with fresh state and its refs keep working", "[actor]") {
  ActorHost host;
  std::vector<int> incarnations;
  auto ref = host.spawn<Fragile>(incarnations);  // default supervision: restart
  std::vector<std::error_code> outcomes;
  auto note = [&](std::error_code ec) { outcomes.push_back(ec); };
  ref.send(5, note);
  ref.send(-1, note);  // fails: restarted
  ref.send(7, note);   // reaches the new incarnation through the same ref
  host.run_once();
  REQUIRE(outcomes.size() == 3);
  CHECK_FALSE(outcomes[0]);
  CHECK(outcomes[1] == Errc::actor_failed);
  CHECK_FALSE(outcomes[2]);
  CHECK(incarnations == std::vector<int>{5, 7});  // the second started from zero
  CHECK(host.restarts() == 1);
  CHECK(host.actor_count() == 1);
}

TEST_CASE("An actor that keeps failing is stopped once its restart limit is reached", "[actor]") {
  ActorHost host;
  std::vector<int> incarnations;
  auto ref = host.spawn_supervised<Fragile>({.on_failure = actnet::OnFailure::restart,
                                             .max_restarts = 3,
                                             .window = std::chrono::seconds(60)},
                                            incarnations);
  std::vector<std::error_code> outcomes;
  for (int i = 0; i < 5; ++i)
    ref.send(-1, [&](std::error_code ec) { outcomes.push_back(ec); });
  host.run_once();
  REQUIRE(outcomes.size() == 5);
  for (int i = 0; i < 4; ++i)
    CHECK(outcomes[static_cast<std::size_t>(i)] == Errc::actor_failed);
  CHECK(outcomes[4] == Errc::actor_stopped);  // the fourth failure was past the limit
  CHECK(host.restarts() == 3);
  CHECK(incarnations.size() == 4);
  CHECK(host.actor_count() == 0);
}

TEST_CASE("An escalating actor leaves and the host's escalation hook hears of it", "[actor]") {
  ActorHost host;
  std::vector<int> incarnations;
  actnet::ActorId escalated{};
  std::string reason;
  host.on_escalate([&](actnet::ActorId id, const std::string& what) {
    escalated = id;
    reason = what;
  });
  auto ref =
      host.spawn_supervised<Fragile>({.on_failure = actnet::OnFailure::escalate}, incarnations);
  std::error_code after;
  ref.send(-1);
  ref.send(1, [&](std::error_code ec) { after = ec; });
  host.run_once();
  CHECK(escalated == ref.id());
  CHECK(reason == "negative");
  CHECK(after == Errc::actor_stopped);
  CHECK(host.restarts() == 0);
}

TEST_CASE("An actor built from a move-only argument is stopped rather than restarted", "[actor]") {
  struct Owner final : Actor<int> {
    explicit Owner(std::unique_ptr<int> p) : payload(std::move(p)) {}
    void receive(int&) override { throw std::runtime_error("always"); }
    std::unique_ptr<int> payload;
  };
  ActorHost host;
  auto ref = host.spawn<Owner>(std::make_unique<int>(1));
  std::error_code second;
  ref.send(1);
  ref.send(2, [&](std::error_code ec) { second = ec; });
  host.run_once();
  CHECK(second == Errc::actor_stopped);
  CHECK(host.restarts() == 0);
}
