// ConnRef as a handle that outlives its connection: a stale ref never reaches the
// connection that reuses its fd or slot, a ref outliving the engine and an empty ref fail
// cleanly on the caller's thread. Also the loop-only Conn accessors (addresses, context,
// dup, socket options), checked against what the client sees over 127.0.0.1 and ::1.

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/socket_options.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

actnet::io::SocketAddress sock_name(int fd, bool peer) {
  actnet::io::SocketAddress a;
  socklen_t len = actnet::io::SocketAddress::capacity();
  const int rc = peer ? ::getpeername(fd, a.data(), &len) : ::getsockname(fd, a.data(), &len);
  if (rc != 0) return {};
  a.set_size(len);
  return a;
}

struct Opened {
  actnet::ConnRef ref;
  int fd = -1;
  std::uint16_t peer_port = 0;
};

// Records each connection as it opens, echoes, and counts what reaches on_traffic.
class Recorder : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mu_);
    opened_.push_back({conn.ref(), conn.fd(), conn.remote_address().port()});
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    traffic_bytes.fetch_add(conn.inbound_buffered());
    if (conn.inbound_buffered() == 0) wakes.fetch_add(1);
    conn.write(conn.next());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code) override {
    closes.fetch_add(1);
    return actnet::Action::none;
  }

  std::size_t opened() {
    std::lock_guard lock(mu_);
    return opened_.size();
  }
  Opened at(std::size_t i) {
    std::lock_guard lock(mu_);
    return opened_.at(i);
  }
  std::optional<Opened> for_client(const TestClient& client) {
    const std::uint16_t port = sock_name(client.fd(), false).port();
    std::lock_guard lock(mu_);
    for (const Opened& o : opened_)
      if (o.peer_port == port) return o;
    return std::nullopt;
  }

  std::atomic<long> traffic_bytes{0};
  std::atomic<int> wakes{0}, closes{0};

 private:
  std::mutex mu_;
  std::vector<Opened> opened_;
};

// Waits for a completion's outcome, polling (the callback may run on another thread).
struct Outcome {
  std::atomic<int> calls{0};
  std::error_code code;
  std::thread::id thread;
  actnet::Completion callback() {
    return [this](std::error_code ec) {
      code = ec;
      thread = std::this_thread::get_id();
      calls.fetch_add(1, std::memory_order_release);
    };
  }
  bool arrived() {
    return eventually([&] { return calls.load(std::memory_order_acquire) > 0; });
  }
};

// A stale ref (its connection closed, by the client or by the server) is kept while new
// connections arrive until one reuses the old fd number and slot; every call through the
// stale ref must then fail with connection_closed and leave the new connection untouched.
void prove_stale_ref_is_harmless(bool server_closes) {
  Outcome closed, write, writev, wake, close, fresh;  // outlive the engine, so every callback
  Recorder recorder;
  // One loop: slots and fd numbers are reused deterministically.
  auto running = actnet::start(recorder, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);

  // A connection kept open throughout, for round trips that order the test after the loop
  // turn that closed the old connection (and so released its fd and slot).
  TestClient barrier(address);
  REQUIRE(eventually([&] { return recorder.opened() == 1; }));
  Opened old;
  {
    TestClient first(address);
    REQUIRE(eventually([&] { return recorder.opened() == 2; }));
    old = recorder.at(1);
    if (server_closes) {
      CHECK_FALSE(old.ref.close(closed.callback()));
      REQUIRE(closed.arrived());
      CHECK_FALSE(closed.code);
      CHECK(first.closed_within(5000));
    }
  }
  REQUIRE(eventually([&] { return recorder.closes.load() == 1; }));
  // on_close ran in some turn; this echo is read after a later epoll_wait, so after that
  // turn released the closed connection.
  barrier.send_all("sync");
  REQUIRE(barrier.recv_exact(4) == "sync");

  // New connections (kept open) until one has the old fd number and slot.
  std::vector<TestClient> clients;
  std::optional<Opened> reuser;
  for (int i = 0; i < 20 && !reuser; ++i) {
    clients.emplace_back(address);
    REQUIRE(eventually([&] { return recorder.opened() == clients.size() + 2; }));
    const Opened o = recorder.at(clients.size() + 1);
    if (o.fd == old.fd && o.ref.slot() == old.ref.slot()) reuser = o;
  }
  REQUIRE(reuser.has_value());
  CHECK(reuser->ref.generation() != old.ref.generation());
  CHECK_FALSE(reuser->ref == old.ref);
  TestClient& victim = clients.back();

  const long bytes_before = recorder.traffic_bytes.load();
  CHECK(old.ref.async_write("STALE", write.callback()) == std::error_code{});  // queued
  CHECK_FALSE(old.ref.async_writev({"STA", "LE"}, writev.callback()));
  CHECK_FALSE(old.ref.wake(wake.callback()));
  CHECK_FALSE(old.ref.close(close.callback()));
  for (Outcome* o : {&write, &writev, &wake, &close}) {
    REQUIRE(o->arrived());
    CHECK(o->code == actnet::Errc::connection_closed);
    CHECK(o->thread != std::this_thread::get_id());  // on the loop: its mailbox was open
  }
  CHECK(recorder.wakes.load() == 0);
  CHECK(recorder.traffic_bytes.load() == bytes_before);

  // The same thread's next message through the live ref arrives after the stale ones were
  // handled (FIFO per producer): the new connection is still open and got only this.
  CHECK_FALSE(reuser->ref.async_write("FRESH", fresh.callback()));
  CHECK(victim.recv_exact(5) == "FRESH");
  REQUIRE(fresh.arrived());
  CHECK_FALSE(fresh.code);
  victim.send_all("echo");
  CHECK(victim.recv_exact(4) == "echo");
  CHECK(recorder.closes.load() == 1);
}

}  // namespace

TEST_CASE(
    "A stale ConnRef whose client closed never reaches the connection that reuses its "
    "fd and slot",
    "[conn_ref][concurrency]") {
  prove_stale_ref_is_harmless(false);
}

TEST_CASE(
    "A stale ConnRef whose connection the server closed never reaches the connection "
    "that reuses its fd and slot",
    "[conn_ref][concurrency]") {
  prove_stale_ref_is_harmless(true);
}

TEST_CASE("A ConnRef used after the engine stopped fails at once on the caller's thread",
          "[conn_ref]") {
  Recorder recorder;
  auto running = actnet::start(recorder, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  actnet::ConnRef ref;
  {
    TestClient client(engine.listen_addresses().at(0));
    REQUIRE(eventually([&] { return recorder.opened() == 1; }));
    ref = recorder.at(0).ref;
    CHECK_FALSE(engine.stop());
    REQUIRE(eventually([&] { return engine.stopped(); }));
    CHECK(running->wait().ok());
  }
  const auto me = std::this_thread::get_id();
  auto is_failure = [](std::error_code ec) {
    return ec == actnet::Errc::shutting_down || ec == actnet::Errc::connection_closed;
  };
  Outcome write, writev, wake, close;
  const std::error_code w = ref.async_write("late", write.callback());
  CHECK(write.calls.load() == 1);  // ran before async_write returned
  const std::error_code v = ref.async_writev({"la", "te"}, writev.callback());
  CHECK(writev.calls.load() == 1);
  const std::error_code k = ref.wake(wake.callback());
  CHECK(wake.calls.load() == 1);
  const std::error_code c = ref.close(close.callback());
  CHECK(close.calls.load() == 1);
  for (auto [ret, o] :
       {std::pair{w, &write}, std::pair{v, &writev}, std::pair{k, &wake}, std::pair{c, &close}}) {
    CHECK(is_failure(ret));
    CHECK(o->code == ret);
    CHECK(o->thread == me);
  }
  // Without a callback it fails the same way.
  CHECK(is_failure(ref.async_write("late")));
}

TEST_CASE(
    "A default-constructed ConnRef fails every call with connection_closed on the "
    "caller's thread",
    "[conn_ref]") {
  const actnet::ConnRef empty;
  CHECK_FALSE(empty);
  CHECK(empty == actnet::ConnRef());
  Outcome write, writev, wake, close;
  CHECK(empty.async_write("x", write.callback()) == actnet::Errc::connection_closed);
  CHECK(empty.async_writev({"x"}, writev.callback()) == actnet::Errc::connection_closed);
  CHECK(empty.wake(wake.callback()) == actnet::Errc::connection_closed);
  CHECK(empty.close(close.callback()) == actnet::Errc::connection_closed);
  for (Outcome* o : {&write, &writev, &wake, &close}) {
    CHECK(o->calls.load() == 1);
    CHECK(o->code == actnet::Errc::connection_closed);
    CHECK(o->thread == std::this_thread::get_id());
  }
  CHECK(empty.async_write(std::string("no callback")) == actnet::Errc::connection_closed);
}

namespace {

// What on_open saw and did, for the main thread to compare with the client's view.
struct ConnFacts {
  actnet::io::SocketAddress local, remote;
  bool context_empty_at_open = false;
  bool setters_ok = false;
  std::string setter_errors;
  std::optional<actnet::io::UniqueFd> dup;
};

// Tags each connection with a context and answers every read with it; exercises the
// accessors and socket option setters in on_open.
class Inspector : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    ConnFacts f;
    f.local = conn.local_address();
    f.remote = conn.remote_address();
    f.context_empty_at_open = conn.context<std::string>() == nullptr;
    const int n = next_id_.fetch_add(1);
    conn.emplace_context<std::string>("conn-" + std::to_string(n));
    f.setters_ok = true;
    auto note = [&](const actnet::io::Status& s) {
      if (!s) {
        f.setters_ok = false;
        f.setter_errors += s.error().message + "; ";
      }
    };
    note(conn.set_no_delay(false));
    note(conn.set_keep_alive(true));
    note(conn.set_keep_alive(actnet::io::KeepAlive{.idle = 30s, .interval = 5s, .count = 3}));
    note(conn.set_read_buffer(64 * 1024));
    note(conn.set_write_buffer(64 * 1024));
    note(conn.set_linger(actnet::io::Linger{.on = true, .timeout = 1s}));
    auto dup = conn.dup();
    if (dup) f.dup.emplace(std::move(*dup));
    std::lock_guard lock(mu_);
    facts_[conn.remote_address().port()] = std::move(f);
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.discard();
    const std::string* tag = conn.context<std::string>();
    const bool wrong_type_is_null = conn.context<int>() == nullptr;
    conn.write((tag != nullptr ? *tag : std::string("none")) + (wrong_type_is_null ? "" : "!") +
               "\n");
    return actnet::Action::none;
  }

  std::size_t count() {
    std::lock_guard lock(mu_);
    return facts_.size();
  }
  ConnFacts take(std::uint16_t peer_port) {
    std::lock_guard lock(mu_);
    auto it = facts_.find(peer_port);
    REQUIRE(it != facts_.end());
    ConnFacts f = std::move(it->second);
    facts_.erase(it);
    return f;
  }

 private:
  std::mutex mu_;
  std::map<std::uint16_t, ConnFacts> facts_;
  std::atomic<int> next_id_{0};
};

void check_accessors(const char* listen) {
  Inspector inspector;
  // One loop, so the second round of connections reuses the first round's slots.
  auto running = actnet::start(inspector, {listen});
  if (!running.ok()) {
    WARN("cannot listen on " << listen << ": " << running.error().message << " (skipped)");
    return;
  }
  const auto address = running->engine().listen_addresses().at(0);
  for (int round = 0; round < 2; ++round) {
    std::vector<TestClient> clients;
    for (int i = 0; i < 3; ++i)
      clients.emplace_back(address);
    REQUIRE(eventually([&] { return inspector.count() == 3; }));
    std::vector<std::string> tags;
    for (TestClient& client : clients) {
      const auto client_local = sock_name(client.fd(), false);
      const auto client_peer = sock_name(client.fd(), true);
      ConnFacts f = inspector.take(client_local.port());
      CHECK(f.local == client_peer);
      CHECK(f.remote == client_local);
      CHECK(f.local.to_string() == client_peer.to_string());
      CHECK(f.remote.to_string() == client_local.to_string());
      CHECK(f.context_empty_at_open);  // even in a reused slot
      INFO(f.setter_errors);
      CHECK(f.setters_ok);

      // Each connection answers with its own context.
      client.send_all("?");
      const std::string tag = client.recv_exact(7);
      CHECK(tag.size() == 7);
      CHECK(tag.rfind("conn-", 0) == 0);
      CHECK(tag.back() == '\n');
      tags.push_back(tag);

      // The duplicate is the same socket: options set on the loop read back through it,
      // and bytes written to it reach the client.
      REQUIRE(f.dup.has_value());
      const int d = f.dup->get();
      CHECK((::fcntl(d, F_GETFD) & FD_CLOEXEC) != 0);
      auto no_delay = actnet::io::get_tcp_no_delay(d);
      REQUIRE(no_delay.ok());
      CHECK(*no_delay == false);
      auto keep_alive = actnet::io::get_keep_alive(d);
      REQUIRE(keep_alive.ok());
      CHECK(*keep_alive);
      auto params = actnet::io::get_keep_alive_params(d);
      REQUIRE(params.ok());
      CHECK(*params == actnet::io::KeepAlive{.idle = 30s, .interval = 5s, .count = 3});
      auto rcvbuf = actnet::io::get_recv_buffer(d);
      REQUIRE(rcvbuf.ok());
      CHECK(*rcvbuf >= 64 * 1024);
      auto sndbuf = actnet::io::get_send_buffer(d);
      REQUIRE(sndbuf.ok());
      CHECK(*sndbuf >= 64 * 1024);
      auto linger = actnet::io::get_linger(d);
      REQUIRE(linger.ok());
      CHECK(*linger == actnet::io::Linger{.on = true, .timeout = 1s});
      CHECK(::send(d, "via dup", 7, MSG_NOSIGNAL) == 7);
      CHECK(client.recv_exact(7) == "via dup");
    }
    std::sort(tags.begin(), tags.end());
    CHECK(std::unique(tags.begin(), tags.end()) == tags.end());  // one context each
    clients.clear();
    REQUIRE(eventually([&] { return running->engine().count_connections() == 0; }));
  }
}

}  // namespace

TEST_CASE(
    "Conn accessors on the loop match what an IPv4 client sees and socket options "
    "set there take effect",
    "[conn]") {
  check_accessors("tcp://127.0.0.1:0");
}

TEST_CASE(
    "Conn accessors on the loop match what an IPv6 client sees and socket options "
    "set there take effect",
    "[conn]") {
  check_accessors("tcp6://[::1]:0");
}
