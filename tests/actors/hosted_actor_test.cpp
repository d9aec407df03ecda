// User actors hosted on the engine's loops (Engine::spawn): every message reaches receive()
// on the host loop, none lost and in per-sender order; supervision restarts, stops or
// escalates; stale refs fail cleanly; ask() brings the answer back to the asker's loop; an
// actor's writes to a connection on its own loop take the direct path.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/sanitizers.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// What the tests read of an actor from other threads; the actor writes it on its loop.
struct Probe {
  std::mutex mu;
  std::set<std::thread::id> threads;  // threads receive() ran on
  std::atomic<long> received{0};
  std::atomic<long> out_of_order{0};
  std::atomic<int> starts{0}, stops{0};
};

struct Numbered {
  int sender = 0;
  long n = 0;
};

// Checks that each sender's numbers arrive in order, and records where receive() runs.
class OrderChecker : public actnet::Actor<Numbered> {
 public:
  OrderChecker(Probe* probe, int senders) : probe_(probe), last_(senders, -1) {}
  void receive(Numbered& m) override {
    if (m.n != last_[m.sender] + 1) probe_->out_of_order.fetch_add(1);
    last_[m.sender] = m.n;
    {
      std::lock_guard lock(probe_->mu);
      probe_->threads.insert(std::this_thread::get_id());
    }
    probe_->received.fetch_add(1, std::memory_order_release);
  }

 protected:
  void on_start() override { probe_->starts.fetch_add(1); }
  void on_stop() override { probe_->stops.fetch_add(1); }

 private:
  Probe* probe_;
  std::vector<long> last_;  // per sender: no lock, the loop is the only thread here
};

class Idle : public actnet::EventHandler {};

// TSan is ~10x slower; the interleavings are the point.
constexpr long kPerSender = actnet::io::kThreadSanitizer ? 20'000 : 100'000;

}  // namespace

TEST_CASE(
    "eight threads sending 100,000 messages each to one hosted actor lose none and keep "
    "each sender's order",
    "[concurrency]") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  Probe probe;
  constexpr int kSenders = 8;
  auto ref = engine.spawn<OrderChecker>(&probe, kSenders);
  REQUIRE(ref);
  CHECK(probe.starts.load() == 1);

  std::vector<std::thread> senders;
  std::atomic<long> refused{0};
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (long n = 0; n < kPerSender; ++n)
        if (ref.send(Numbered{s, n})) refused.fetch_add(1);
    });
  }
  for (auto& t : senders)
    t.join();
  REQUIRE(eventually([&] { return probe.received.load() == kSenders * kPerSender; }, 60s));
  CHECK(refused.load() == 0);
  CHECK(probe.out_of_order.load() == 0);
  {
    std::lock_guard lock(probe.mu);
    REQUIRE(probe.threads.size() == 1);  // one host loop, whoever sent
    CHECK(*probe.threads.begin() != std::this_thread::get_id());
  }
  std::size_t hosted = 0;
  std::uint64_t messages = 0;
  for (const auto& loop : engine.stats().loops) {
    hosted += loop.actors;
    messages += loop.actor_messages;
  }
  CHECK(hosted == 1);
  CHECK(messages >= static_cast<std::uint64_t>(kSenders * kPerSender));

  CHECK_FALSE(engine.stop());
  CHECK(running->wait().ok());
  CHECK(probe.stops.load() == 1);  // on_stop ran when its loop finished
}

namespace {

// Throws on "boom"; counts what it saw since it was (re)built.
struct Boom {
  std::string text;
};
struct Counters {
  std::atomic<int> built{0}, seen_since_built{0}, stopped{0};
};
class Fragile : public actnet::Actor<Boom> {
 public:
  explicit Fragile(Counters* c) : c_(c) {
    c_->built.fetch_add(1);
    c_->seen_since_built.store(0);
  }
  void receive(Boom& m) override {
    if (m.text == "boom") throw std::runtime_error("boom");
    c_->seen_since_built.fetch_add(1);
  }

 protected:
  void on_stop() override { c_->stopped.fetch_add(1); }

 private:
  Counters* c_;
};

// Completion outcome, readable from the test thread.
struct Outcome {
  std::atomic<int> calls{0};
  std::error_code code;
  actnet::Completion callback() {
    return [this](std::error_code ec) {
      code = ec;
      calls.fetch_add(1, std::memory_order_release);
    };
  }
  bool arrived() {
    return eventually([&] { return calls.load(std::memory_order_acquire) > 0; });
  }
};

}  // namespace

TEST_CASE(
    "a hosted actor whose receive throws is restarted with fresh state and its ref keeps "
    "working, up to its restart limit",
    "[concurrency]") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  Counters c;
  auto ref = engine.spawn_supervised_on<Fragile>(
      1, {.on_failure = actnet::OnFailure::restart, .max_restarts = 2, .window = 10s}, &c);
  REQUIRE(c.built.load() == 1);

  Outcome hello, boom1, after, boom2, boom3, late;
  ref.send({"hello"}, hello.callback());
  ref.send({"boom"}, boom1.callback());
  ref.send({"after"}, after.callback());
  REQUIRE(after.arrived());
  CHECK_FALSE(hello.code);
  CHECK(boom1.code == actnet::Errc::actor_failed);
  CHECK_FALSE(after.code);
  CHECK(c.built.load() == 2);
  CHECK(c.seen_since_built.load() == 1);  // fresh state: only "after"
  REQUIRE(eventually([&] { return engine.stats().loops.at(1).actor_restarts == 1; }));

  ref.send({"boom"}, boom2.callback());  // second restart: still within the limit
  ref.send({"boom"}, boom3.callback());  // third failure: the limit stops it
  ref.send({"late"}, late.callback());
  REQUIRE(late.arrived());
  CHECK(boom2.code == actnet::Errc::actor_failed);
  CHECK(boom3.code == actnet::Errc::actor_failed);
  CHECK(late.code == actnet::Errc::actor_stopped);
  CHECK(c.built.load() == 3);
  CHECK(c.stopped.load() == 3);  // each replaced actor and the last one got on_stop
  REQUIRE(eventually([&] { return engine.stats().loops.at(1).actors == 0; }));
}

TEST_CASE(
    "a hosted actor stopped by its supervision leaves refs that fail with actor_stopped, "
    "and after the engine stops they fail with mailbox_closed") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  Counters c;
  auto ref = engine.spawn_supervised_on<Fragile>(0, {.on_failure = actnet::OnFailure::stop}, &c);
  auto other = engine.spawn<Fragile>(&c);
  Outcome boom, stale, fine;
  ref.send({"boom"}, boom.callback());
  ref.send({"x"}, stale.callback());
  other.send({"x"}, fine.callback());
  REQUIRE(stale.arrived());
  REQUIRE(fine.arrived());
  CHECK(boom.code == actnet::Errc::actor_failed);
  CHECK(stale.code == actnet::Errc::actor_stopped);
  CHECK_FALSE(fine.code);

  CHECK_FALSE(engine.stop());
  CHECK(running->wait().ok());
  Outcome after_stop;
  CHECK(other.send({"x"}, after_stop.callback()) == actnet::Errc::mailbox_closed);
  CHECK(after_stop.calls.load() == 1);  // failed on this thread, at once
  CHECK(after_stop.code == actnet::Errc::mailbox_closed);
  CHECK_THROWS_AS(engine.spawn<Fragile>(&c), std::system_error);
}

TEST_CASE("a hosted actor with escalate supervision stops the engine gracefully when it fails") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  Counters c;
  auto ref =
      engine.spawn_supervised_on<Fragile>(0, {.on_failure = actnet::OnFailure::escalate}, &c);
  ref.send({"boom"});
  REQUIRE(eventually([&] { return engine.stopped(); }));
  CHECK(running->wait().ok());
}

namespace {

// A key-value actor answering requests with ask().
struct Get {
  std::string key;
  actnet::Reply<std::string> reply;
};
struct Put {
  std::string key, value;
};
struct Drop {  // lets the Reply go unanswered
  actnet::Reply<std::string> reply;
};
using KvMsg = std::variant<Get, Put, Drop>;

class Kv : public actnet::Actor<KvMsg> {
 public:
  explicit Kv(std::atomic<std::thread::id>* thread) : thread_(thread) {}
  void receive(KvMsg& m) override {
    thread_->store(std::this_thread::get_id());
    if (auto* get = std::get_if<Get>(&m)) {
      auto it = table_.find(get->key);
      if (it == table_.end()) throw std::runtime_error("no such key: " + get->key);
      get->reply(it->second);
    } else if (auto* put = std::get_if<Put>(&m)) {
      table_[put->key] = put->value;
    }
  }

 private:
  std::atomic<std::thread::id>* thread_;
  std::map<std::string, std::string> table_;
};

// Each line "key" the client sends is asked of the Kv actor; the answer (or the error) is
// written back from the reply callback, which must run on the connection's own loop.
class Asker : public actnet::EventHandler {
 public:
  actnet::ActorRef<KvMsg> kv;
  std::atomic<int> wrong_thread{0};

  actnet::Action on_traffic(actnet::Conn& conn) override {
    std::string key(conn.next());
    const std::thread::id here = std::this_thread::get_id();
    auto reply = [this, ref = conn.ref(), here](actnet::Result<std::string> value) {
      if (std::this_thread::get_id() != here) wrong_thread.fetch_add(1);
      // (append, not "x" + s: GCC 12 misreports -Wrestrict on the latter)
      std::string answer(value ? "=" : "!");
      answer.append(value ? *value : value.error().code.message());
      ref.async_write(std::move(answer));
    };
    if (key == "drop") {
      actnet::ask<std::string>(
          kv, [](actnet::Reply<std::string> r) { return KvMsg{Drop{std::move(r)}}; }, reply);
    } else {
      actnet::ask<std::string>(
          kv,
          [&](actnet::Reply<std::string> r) {
            return KvMsg{Get{key, std::move(r)}};
          },
          reply);
    }
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE(
    "ask from a connection's loop brings the actor's answer back to that loop, or the "
    "reason there is none",
    "[concurrency]") {
  Asker handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  std::atomic<std::thread::id> kv_thread;
  handler.kv = engine.spawn_on<Kv>(0, &kv_thread);
  handler.kv.send(Put{"alpha", "1"});
  const auto address = engine.listen_addresses().at(0);

  // Two clients: round robin puts them on loops 0 and 1, so one asks across loops.
  TestClient a(address), b(address);
  for (TestClient* c : {&a, &b}) {
    c->send_all("alpha");
    CHECK(c->recv_exact(2) == "=1");
  }
  const std::string missing =
      std::string("!").append(make_error_code(actnet::Errc::actor_failed).message());
  a.send_all("nope");  // receive throws: actor_failed, and the actor restarts
  CHECK(a.recv_exact(missing.size()) == missing);
  const std::string dropped =
      std::string("!").append(make_error_code(actnet::Errc::no_reply).message());
  b.send_all("drop");
  CHECK(b.recv_exact(dropped.size()) == dropped);
  CHECK(handler.wrong_thread.load() == 0);
  CHECK(kv_thread.load() != std::this_thread::get_id());
}

TEST_CASE("ask from a thread off every loop gets its answer on the answering thread",
          "[concurrency]") {
  Idle handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  std::atomic<std::thread::id> kv_thread;
  auto kv = running->engine().spawn<Kv>(&kv_thread);
  kv.send(Put{"k", "v"});
  std::atomic<int> answers{0};
  std::string got;
  std::thread::id answered_on;
  actnet::ask<std::string>(
      kv,
      [](actnet::Reply<std::string> r) {
        return KvMsg{Get{"k", std::move(r)}};
      },
      [&](actnet::Result<std::string> v) {
        got = v ? *v : "error";
        answered_on = std::this_thread::get_id();
        answers.fetch_add(1, std::memory_order_release);
      });
  REQUIRE(eventually([&] { return answers.load(std::memory_order_acquire) == 1; }));
  CHECK(got == "v");
  CHECK(answered_on == kv_thread.load());
}

namespace {

// Writes `count` copies of "x" to a connection whenever asked.
struct Blast {
  actnet::ConnRef to;
  int count = 0;
};
class Blaster : public actnet::Actor<Blast> {
 public:
  void receive(Blast& m) override {
    for (int i = 0; i < m.count; ++i)
      m.to.async_write("x");
  }
};

// Spawns a Blaster on the connection's own loop from on_open (no waiting on a loop).
class Colocated : public actnet::EventHandler {
 public:
  actnet::Engine engine;
  std::atomic<bool> spawned_here{false};
  std::atomic<bool> refused_other{false};
  actnet::ActorRef<Blast> blaster;
  actnet::ConnRef conn;
  std::atomic<bool> ready{false};

  actnet::Action on_open(actnet::Conn& c) override {
    blaster = engine.spawn<Blaster>();
    spawned_here = static_cast<bool>(blaster);
    try {
      (void)engine.spawn_on<Blaster>(1);  // another loop: would block this one
    } catch (const std::system_error& e) {
      refused_other = e.code() == actnet::Errc::invalid_argument;
    }
    conn = c.ref();
    ready.store(true, std::memory_order_release);
    return actnet::Action::none;
  }
};

}  // namespace

TEST_CASE(
    "an actor writing to a connection on its own loop takes the direct path, with no "
    "mailbox message per write",
    "[concurrency]") {
  Colocated handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0"},
                    {.num_event_loops = 2, .load_balancing = actnet::LoadBalancing::round_robin});
  REQUIRE(running.ok());
  handler.engine = running->engine();
  TestClient client(handler.engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return handler.ready.load(std::memory_order_acquire); }));
  CHECK(handler.spawned_here.load());
  CHECK(handler.refused_other.load());

  const auto before = handler.engine.stats().loops.at(0).messages_handled;
  constexpr int kWrites = 5000;
  handler.blaster.send(Blast{handler.conn, kWrites});
  CHECK(client.recv_exact(kWrites) == std::string(kWrites, 'x'));
  const auto after = handler.engine.stats().loops.at(0).messages_handled;
  CHECK(after - before < 10);  // the writes did not go through the loop's mailbox
  CHECK(handler.engine.stats().loops.at(0).actors == 1);
}
