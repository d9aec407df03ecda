// ConnRef's cross-thread writes: async_write from many threads at once, async_writev, wake
// and close from another thread, writes to a peer that went away, and what happens to
// bytes still queued when a connection closes. Every test talks to a real engine over
// 127.0.0.1 with blocking test clients (test_client.hpp).

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/sanitizers.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

std::uint16_t local_port(int fd) {
  actnet::io::SocketAddress a;
  socklen_t len = actnet::io::SocketAddress::capacity();
  if (::getsockname(fd, a.data(), &len) != 0) return 0;
  a.set_size(len);
  return a.port();
}

// Remembers every connection's ref by the client's port, and which threads are loops.
class Registry : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mu_);
    refs_[conn.remote_address().port()] = conn.ref();
    loop_threads_.push_back(std::this_thread::get_id());
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    std::lock_guard lock(mu_);
    close_errors_.push_back(error);
    return actnet::Action::none;
  }

  std::size_t opened() {
    std::lock_guard lock(mu_);
    return refs_.size();
  }
  actnet::ConnRef ref_for(const TestClient& client) {
    std::lock_guard lock(mu_);
    auto it = refs_.find(local_port(client.fd()));
    return it == refs_.end() ? actnet::ConnRef() : it->second;
  }
  std::vector<std::thread::id> loop_threads() {
    std::lock_guard lock(mu_);
    std::vector<std::thread::id> ids = loop_threads_;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }
  std::vector<std::error_code> close_errors() {
    std::lock_guard lock(mu_);
    return close_errors_;
  }

 private:
  std::mutex mu_;
  std::map<std::uint16_t, actnet::ConnRef> refs_;
  std::vector<std::thread::id> loop_threads_;
  std::vector<std::error_code> close_errors_;
};

bool contains(const std::vector<std::thread::id>& ids, std::thread::id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Reads from every client at once (poll) until each has `want[i]` bytes or `limit` passes.
void read_concurrently(const std::vector<int>& fds, const std::vector<std::size_t>& want,
                       std::vector<std::string>& got, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  std::vector<char> buf(1 << 16);
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (got[i].size() < want[i]) {
        pfds.push_back({fds[i], POLLIN, 0});
        which.push_back(i);
      }
    }
    if (pfds.empty() || std::chrono::steady_clock::now() > end) return;
    if (::poll(pfds.data(), pfds.size(), 100) <= 0) continue;
    for (std::size_t k = 0; k < pfds.size(); ++k) {
      if (pfds[k].revents == 0) continue;
      const ssize_t n = ::recv(pfds[k].fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0) {
        got[which[k]].append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        return;  // a connection ended early: the caller's checks will say which
      }
    }
  }
}

// "<prefix><n><suffix>", built by appending: GCC 12 warns falsely (-Wrestrict) on chains of
// operator+ over temporaries.
std::string numbered(std::string_view prefix, long n, std::string_view suffix) {
  std::string s(prefix);
  s += std::to_string(n);
  s += suffix;
  return s;
}

bool parse_number(std::string_view text, long& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

// 8 senders x 100 connections x 1,000 messages each = 800,000 messages.
constexpr int kSenders = 8;
constexpr int kConnections = 100;
// ThreadSanitizer: the same shape, a quarter of the messages.
constexpr int kPerConnection = actnet::io::kThreadSanitizer ? 250 : 1'000;
constexpr int kMessagesPerThread = kPerConnection * kConnections;

// What the many-writers test shares with its completion callbacks (which run on loops).
struct WriteLedger {
  std::vector<std::thread::id> loops;              // fixed before any sender starts
  std::unique_ptr<std::atomic<int>[]> done;        // completions per message
  std::unique_ptr<std::atomic<long>[]> last_done;  // per (sender, connection)
  std::atomic<long> failed{0}, wrong_thread{0}, out_of_order{0};
};

int connection_of(int sender, int seq) {
  return (seq + sender) % kConnections;
}

}  // namespace

TEST_CASE(
    "Eight threads writing a thousand numbered messages each to each of a hundred "
    "connections deliver every byte in per-thread order with one completion each on a "
    "loop",
    "[concurrency]") {
  auto ledger = std::make_shared<WriteLedger>();  // outlives the engine, so every callback
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.num_event_loops = 4});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const auto address = engine.listen_addresses().at(0);

  std::vector<TestClient> clients;
  clients.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i)
    clients.emplace_back(address);
  REQUIRE(eventually([&] { return registry.opened() == kConnections; }));
  std::vector<actnet::ConnRef> refs;
  std::vector<int> fds;
  for (auto& c : clients) {
    refs.push_back(registry.ref_for(c));
    REQUIRE(refs.back());
    fds.push_back(c.fd());
  }

  constexpr int total = kSenders * kMessagesPerThread;
  ledger->loops = registry.loop_threads();
  REQUIRE(ledger->loops.size() == 4);
  ledger->done = std::make_unique<std::atomic<int>[]>(total);
  ledger->last_done = std::make_unique<std::atomic<long>[]>(kSenders * kConnections);
  for (int i = 0; i < total; ++i)
    ledger->done[i].store(0);
  for (int i = 0; i < kSenders * kConnections; ++i)
    ledger->last_done[i].store(-1);

  std::vector<std::size_t> want(kConnections, 0);
  for (int t = 0; t < kSenders; ++t)
    for (int s = 0; s < kMessagesPerThread; ++s)
      want[connection_of(t, s)] += numbered(numbered("t", t, ":"), s, "\n").size();

  // One reader thread per half of the clients, started before any byte is sent.
  std::vector<std::string> got(kConnections);
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      const std::size_t from = r * kConnections / 2, to = (r + 1) * kConnections / 2;
      std::vector<int> mine(fds.begin() + from, fds.begin() + to);
      std::vector<std::size_t> w(want.begin() + from, want.begin() + to);
      std::vector<std::string> g(to - from);
      read_concurrently(mine, w, g, 45s);
      for (std::size_t i = 0; i < g.size(); ++i)
        got[from + i] = std::move(g[i]);
    });
  }

  std::atomic<long> refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      const std::thread::id me = std::this_thread::get_id();
      WriteLedger* l = ledger.get();
      for (int s = 0; s < kMessagesPerThread; ++s) {
        const int index = t * kMessagesPerThread + s;
        std::string message = numbered(numbered("t", t, ":"), s, "\n");
        auto ec = refs[connection_of(t, s)].async_write(
            std::move(message), [l, index, me](std::error_code error) {
              if (error) l->failed.fetch_add(1, std::memory_order_relaxed);
              const auto self = std::this_thread::get_id();
              if (self == me || !contains(l->loops, self)) {
                l->wrong_thread.fetch_add(1, std::memory_order_relaxed);
              }
              // One connection's completions all run on its one loop: no race on the slot.
              const int sender = index / kMessagesPerThread, seq = index % kMessagesPerThread;
              auto& last = l->last_done[sender * kConnections + connection_of(sender, seq)];
              if (last.load(std::memory_order_relaxed) >= seq) {
                l->out_of_order.fetch_add(1, std::memory_order_relaxed);
              }
              last.store(seq, std::memory_order_relaxed);
              // Last, and release: once the main thread has seen every count, no callback
              // touches the ledger any more.
              l->done[index].fetch_add(1, std::memory_order_release);
            });
        if (ec) refused.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : senders)
    t.join();
  for (auto& t : readers)
    t.join();

  CHECK(refused.load() == 0);
  long short_connections = 0, bad_lines = 0, wrong_sequences = 0;
  for (int c = 0; c < kConnections; ++c) {
    if (got[c].size() != want[c]) ++short_connections;
    // Each sender's numbers on this connection, in arrival order.
    std::vector<std::vector<long>> seen(kSenders);
    std::string_view rest = got[c];
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        ++bad_lines;
        break;
      }
      const std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      const auto colon = line.find(':');
      long t = -1, s = -1;
      if (line.size() < 4 || line[0] != 't' || colon == std::string_view::npos ||
          !parse_number(line.substr(1, colon - 1), t) || !parse_number(line.substr(colon + 1), s) ||
          t < 0 || t >= kSenders) {
        ++bad_lines;
        continue;
      }
      seen[t].push_back(s);
    }
    for (int t = 0; t < kSenders; ++t) {
      // Sender t's numbers for connection c: s = c - t (mod 100), increasing.
      const long first = ((c - t) % kConnections + kConnections) % kConnections;
      bool right = seen[t].size() == static_cast<std::size_t>(kPerConnection);
      for (std::size_t k = 0; right && k < seen[t].size(); ++k)
        right = seen[t][k] == first + static_cast<long>(k) * kConnections;
      if (!right) ++wrong_sequences;
    }
  }
  CHECK(short_connections == 0);
  CHECK(bad_lines == 0);
  CHECK(wrong_sequences == 0);

  // A completion may run just after its bytes left: wait for the last ones.
  auto all_done = [&] {
    for (int i = 0; i < total; ++i)
      if (ledger->done[i].load(std::memory_order_acquire) != 1) return false;
    return true;
  };
  CHECK(eventually(all_done));
  long not_once = 0;
  for (int i = 0; i < total; ++i)
    if (ledger->done[i].load() != 1) ++not_once;
  CHECK(not_once == 0);
  CHECK(ledger->failed.load() == 0);
  CHECK(ledger->wrong_thread.load() == 0);
  CHECK(ledger->out_of_order.load() == 0);
}

TEST_CASE(
    "async_writev delivers its parts contiguously and in order while another thread "
    "writes to the same connection",
    "[concurrency]") {
  std::atomic<int> writev_done{0}, writev_failed{0}, off_loop{0};  // outlive the engine
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return registry.opened() == 1; }));
  const actnet::ConnRef ref = registry.ref_for(client);
  REQUIRE(ref);
  const auto loops = registry.loop_threads();

  constexpr int kEach = 2'000;
  const std::string payload(100, 'p');
  std::size_t want = 0;
  for (int i = 0; i < kEach; ++i) {
    want += numbered("[", i, ":").size() + payload.size() + 2;
    want += numbered("x", i, "\n").size();
  }
  std::thread vectored([&] {
    for (int i = 0; i < kEach; ++i) {
      (void)ref.async_writev({"[", std::to_string(i), ":", payload, "]\n"},
                             [&](std::error_code ec) {
                               if (ec) writev_failed.fetch_add(1);
                               if (!contains(loops, std::this_thread::get_id())) off_loop++;
                               writev_done.fetch_add(1);  // last: the test may end after it
                             });
    }
  });
  std::thread plain([&] {
    for (int i = 0; i < kEach; ++i)
      (void)ref.async_write(numbered("x", i, "\n"));
  });
  const std::string got = client.recv_exact(want);
  vectored.join();
  plain.join();
  REQUIRE(got.size() == want);

  std::vector<long> vs, xs;
  long bad = 0;
  std::string_view rest = got;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    REQUIRE(nl != std::string_view::npos);
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    long n = -1;
    if (!line.empty() && line[0] == 'x' && parse_number(line.substr(1), n)) {
      xs.push_back(n);
      continue;
    }
    const auto colon = line.find(':');
    if (line.size() > 2 && line.front() == '[' && line.back() == ']' &&
        colon != std::string_view::npos && parse_number(line.substr(1, colon - 1), n) &&
        line.substr(colon + 1, line.size() - colon - 2) == payload) {
      vs.push_back(n);
      continue;
    }
    ++bad;
  }
  CHECK(bad == 0);
  REQUIRE(vs.size() == kEach);
  REQUIRE(xs.size() == kEach);
  for (int i = 0; i < kEach; ++i) {
    if (vs[i] != i || xs[i] != i) {
      FAIL_CHECK("out of order at " << i << ": writev " << vs[i] << ", write " << xs[i]);
      break;
    }
  }
  CHECK(eventually([&] { return writev_done.load() == kEach; }));
  CHECK(writev_failed.load() == 0);
  CHECK(off_loop.load() == 0);
}

TEST_CASE(
    "async_writev with more parts than one system call takes and parts larger than the "
    "socket buffer delivers them all in order with one completion",
    "[async_write]") {
  std::atomic<int> done{0};  // what the callback touches outlives the engine
  std::error_code outcome;
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.socket_send_buffer = 8192});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return registry.opened() == 1; }));
  const actnet::ConnRef ref = registry.ref_for(client);
  REQUIRE(ref);

  std::vector<std::string> parts;
  std::string expected;
  for (int i = 0; i < 150; ++i) {  // more than the 64 iovecs one sendmsg carries
    std::string part = numbered("", i, ",");
    if (i % 50 == 7) part += std::string(300'000, static_cast<char>('a' + i % 26));
    expected += part;
    parts.push_back(std::move(part));
  }
  CHECK_FALSE(ref.async_writev(std::move(parts), [&](std::error_code ec) {
    outcome = ec;
    done.fetch_add(1, std::memory_order_release);
  }));
  const std::string got = client.recv_exact(expected.size());
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(eventually([&] { return done.load(std::memory_order_acquire) == 1; }));
  CHECK_FALSE(outcome);
  // Nothing more follows: the parts were written once.
  CHECK(client.closed_within(100) == false);
}

namespace {

// Echoes bytes; on a wake (no bytes buffered) answers "woken".
class Waker : public Registry {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    traffic.fetch_add(1);
    if (conn.inbound_buffered() == 0) {
      wakes.fetch_add(1);
      conn.write("woken\n");
    } else {
      conn.write(conn.next());
    }
    return actnet::Action::none;
  }
  std::atomic<int> traffic{0}, wakes{0};
};

}  // namespace

TEST_CASE("wake runs on_traffic on the loop with no new bytes", "[async_write]") {
  std::atomic<int> done{0}, failed{0}, off_loop{0};  // outlive the engine
  Waker handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return handler.opened() == 1; }));
  const actnet::ConnRef ref = handler.ref_for(client);
  const auto loops = handler.loop_threads();

  client.send_all("ping");
  CHECK(client.recv_exact(4) == "ping");
  CHECK(handler.wakes.load() == 0);

  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(ref.wake([&](std::error_code ec) {
      if (ec) failed.fetch_add(1);
      if (!contains(loops, std::this_thread::get_id())) off_loop.fetch_add(1);
      done.fetch_add(1);
    }));
  }
  CHECK(client.recv_exact(18) == "woken\nwoken\nwoken\n");
  CHECK(eventually([&] { return done.load() == 3; }));
  CHECK(failed.load() == 0);
  CHECK(off_loop.load() == 0);
  CHECK(handler.wakes.load() == 3);
  CHECK(handler.traffic.load() == 4);  // one read, three wakes
}

TEST_CASE(
    "close from another thread closes the connection with one on_close and an empty "
    "error and completes on the loop",
    "[async_write][concurrency]") {
  std::atomic<int> done{0}, off_loop{0}, again{0};  // outlive the engine
  std::error_code outcome = actnet::Errc::timed_out, second;
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  REQUIRE(eventually([&] { return registry.opened() == 1; }));
  const actnet::ConnRef ref = registry.ref_for(client);
  const auto loops = registry.loop_threads();

  std::thread closer([&] {
    (void)ref.close([&](std::error_code ec) {
      outcome = ec;
      if (!contains(loops, std::this_thread::get_id())) off_loop.fetch_add(1);
      done.fetch_add(1, std::memory_order_release);
    });
  });
  closer.join();
  CHECK(client.closed_within(5000));
  REQUIRE(eventually([&] { return done.load(std::memory_order_acquire) == 1; }));
  CHECK_FALSE(outcome);
  CHECK(off_loop.load() == 0);
  REQUIRE(eventually([&] { return registry.close_errors().size() == 1; }));
  CHECK_FALSE(registry.close_errors().at(0));

  // A second close names a connection that is gone.
  (void)ref.close([&](std::error_code ec) {
    second = ec;
    again.fetch_add(1, std::memory_order_release);
  });
  REQUIRE(eventually([&] { return again.load(std::memory_order_acquire) == 1; }));
  CHECK(second == actnet::Errc::connection_closed);
  CHECK(registry.close_errors().size() == 1);
}

TEST_CASE("async_write to a connection whose peer closed reports an error within a bound",
          "[async_write]") {
  std::atomic<int> completions{0}, errors{0};  // outlive the engine
  std::mutex mu;
  std::error_code first_error;
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  actnet::ConnRef ref;
  {
    TestClient client(running->engine().listen_addresses().at(0));
    REQUIRE(eventually([&] { return registry.opened() == 1; }));
    ref = registry.ref_for(client);
    REQUIRE(ref);
  }  // the peer closes

  int sent = 0;
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (errors.load() == 0 && std::chrono::steady_clock::now() < end) {
    ++sent;
    (void)ref.async_write("data after the peer left\n", [&](std::error_code ec) {
      if (ec) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = ec;
        errors.fetch_add(1);
      }
      completions.fetch_add(1);
    });
    std::this_thread::sleep_for(5ms);  // the cadence of the test, not a synchronization
  }
  REQUIRE(errors.load() > 0);
  CHECK(eventually([&] { return completions.load() == sent; }));
  {
    std::lock_guard lock(mu);
    CHECK(first_error == actnet::Errc::connection_closed);
  }
  REQUIRE(eventually([&] { return registry.close_errors().size() == 1; }));
  CHECK(registry.close_errors().at(0) == actnet::Errc::end_of_stream);
}

TEST_CASE(
    "Writes still queued when a connection closes each complete once either "
    "delivered or with an error and never both",
    "[async_write]") {
  constexpr int kChunks = 64;  // of 64 KiB, each a run of one letter
  constexpr std::size_t kChunk = 64 * 1024;
  std::vector<std::atomic<int>> done(kChunks);  // what the callbacks touch outlives the engine
  std::vector<std::error_code> outcome(kChunks);
  std::atomic<int> closed{0};
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.socket_send_buffer = 4096});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  int small = 4096;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  REQUIRE(eventually([&] { return registry.opened() == 1; }));
  const actnet::ConnRef ref = registry.ref_for(client);

  std::string stream;  // all that was written, to check what arrives against
  for (int i = 0; i < kChunks; ++i) {
    std::string chunk(kChunk, static_cast<char>('A' + i % 26));
    stream += chunk;
    (void)ref.async_write(std::move(chunk), [&, i](std::error_code ec) {
      outcome[i] = ec;
      done[i].fetch_add(1, std::memory_order_release);
    });
  }
  (void)ref.close([&](std::error_code) { closed.fetch_add(1, std::memory_order_release); });
  REQUIRE(eventually([&] { return closed.load(std::memory_order_acquire) == 1; }));

  bool eof = false;
  const std::string got = client.recv_until_eof(&eof);
  CHECK(eof);
  for (int i = 0; i < kChunks; ++i)
    CHECK(done[i].load(std::memory_order_acquire) == 1);
  std::size_t delivered = 0;
  int failures = 0;
  bool prefix = true;
  for (int i = 0; i < kChunks; ++i) {
    if (!outcome[i]) {
      if (failures > 0) prefix = false;  // a success after a failure
      delivered += kChunk;
    } else {
      CHECK(outcome[i] == actnet::Errc::connection_closed);
      ++failures;
    }
  }
  CHECK(prefix);
  CHECK(failures > 0);  // 4 MiB cannot all fit in the kernel buffers
  CHECK(got.size() >= delivered);
  CHECK(got == std::string_view(stream).substr(0, got.size()));
}

TEST_CASE(
    "async_write from another thread to a sleeping loop shows in LoopStats wakeups as at "
    "most one eventfd write per message",
    "[async_write]") {
  Registry registry;
  auto running = actnet::start(registry, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1});
  REQUIRE(running.ok());
  const actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  REQUIRE(eventually([&] { return registry.opened() == 1; }));
  const actnet::ConnRef ref = registry.ref_for(client);
  REQUIRE(ref);

  // Each write finds the loop idle in epoll_wait (it has nothing else to do), so it must
  // be rung; a loop caught just before its sleep sees the message without a write.
  constexpr int kWrites = 5;
  const std::uint64_t before = engine.stats().loops.at(0).wakeups;
  for (int i = 0; i < kWrites; ++i) {
    std::this_thread::sleep_for(20ms);
    REQUIRE_FALSE(ref.async_write("w"));
    REQUIRE(client.recv_exact(1) == "w");
  }
  const std::uint64_t woken = engine.stats().loops.at(0).wakeups - before;
  CHECK(woken >= 1);
  CHECK(woken <= kWrites);
}
