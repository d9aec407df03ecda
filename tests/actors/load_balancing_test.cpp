// Load balancing across loops, seen from the outside: which loop each accepted connection
// lands on (Conn::loop_index() in on_open) and what Engine::stats() reports per loop, for
// round-robin, least-connections and source-address hashing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Records, for every connection it opens, the loop it landed on, keyed by the peer's
// address ("127.0.0.2:41234"), which the client knows as its own local address.
class Recorder : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {
    std::lock_guard lock(mutex_);
    loops_[conn.remote_address().to_string()] = conn.loop_index();
    ++opened_;
    return actnet::Action::none;
  }
  // How many times on_open ran.
  std::size_t opened() const {
    std::lock_guard lock(mutex_);
    return opened_;
  }
  // The loop the connection from `peer` landed on; -1 when it has not opened (yet).
  long loop_of(const std::string& peer) const {
    std::lock_guard lock(mutex_);
    auto it = loops_.find(peer);
    return it == loops_.end() ? -1 : static_cast<long>(it->second);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t> loops_;
  std::size_t opened_ = 0;
};

std::string local_of(int fd) {
  actnet::io::SocketAddress a;
  socklen_t len = actnet::io::SocketAddress::capacity();
  if (::getsockname(fd, a.data(), &len) != 0) return {};
  a.set_size(len);
  return a.to_string();
}

actnet::io::SocketAddress ipv4(const char* ip, std::uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &in.sin_addr);
  return {reinterpret_cast<const sockaddr*>(&in), sizeof in};
}

// A loopback connection whose source address is chosen: bound to `source` (port 0) first.
class SourceClient {
 public:
  SourceClient(const actnet::io::SocketAddress& source, const actnet::io::SocketAddress& to) {
    fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::bind(fd_, source.data(), source.size()) != 0 ||
        ::connect(fd_, to.data(), to.size()) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::runtime_error("bind/connect from " + source.to_string() + ": " +
                               std::strerror(err));
    }
  }
  SourceClient(const SourceClient&) = delete;
  SourceClient& operator=(const SourceClient&) = delete;
  ~SourceClient() { ::close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::vector<std::int64_t> per_loop_connections(const actnet::Engine& engine) {
  std::vector<std::int64_t> out;
  for (const auto& l : engine.stats().loops)
    out.push_back(l.connections);
  return out;
}

std::int64_t spread(const std::vector<std::int64_t>& counts) {
  const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
  return *hi - *lo;
}

// Opens `n` clients one after another (each connected before the next starts).
void open_clients(const actnet::io::SocketAddress& to, std::size_t n,
                  std::vector<std::unique_ptr<TestClient>>& into) {
  for (std::size_t i = 0; i < n; ++i)
    into.push_back(std::make_unique<TestClient>(to));
}

}  // namespace

TEST_CASE("Least-connections keeps every loop within one connection of the others",
          "[load_balancing][concurrency]") {
  Recorder recorder;
  auto running = actnet::start(
      recorder, {"tcp://127.0.0.1:0"},
      {.num_event_loops = 4, .load_balancing = actnet::LoadBalancing::least_connections});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const actnet::io::SocketAddress to = engine.listen_addresses()[0];

  std::vector<std::unique_ptr<TestClient>> clients;
  open_clients(to, 40, clients);
  REQUIRE(eventually([&] { return recorder.opened() == 40 && engine.count_connections() == 40; }));
  std::vector<std::int64_t> counts = per_loop_connections(engine);
  CAPTURE(counts);
  CHECK(counts.size() == 4);
  CHECK(spread(counts) <= 1);

  // Close six of loop 0's clients: loop 0 falls behind by six.
  std::vector<std::unique_ptr<TestClient>> kept;
  int closed = 0;
  for (auto& c : clients) {
    if (closed < 6 && recorder.loop_of(local_of(c->fd())) == 0) {
      c.reset();
      ++closed;
    } else {
      kept.push_back(std::move(c));
    }
  }
  REQUIRE(closed == 6);
  REQUIRE(eventually([&] { return engine.count_connections() == 34; }));
  counts = per_loop_connections(engine);
  CHECK(counts[0] == 4);

  // The next six go to loop 0, the four after them one to each loop.
  const std::size_t before = kept.size();
  open_clients(to, 10, kept);
  REQUIRE(eventually([&] { return recorder.opened() == 50 && engine.count_connections() == 44; }));
  for (std::size_t i = before; i < before + 6; ++i)
    CHECK(recorder.loop_of(local_of(kept[i]->fd())) == 0);
  counts = per_loop_connections(engine);
  CHECK(spread(counts) <= 1);
  CHECK(counts == std::vector<std::int64_t>{11, 11, 11, 11});

  kept.clear();
  CHECK(eventually([&] { return engine.count_connections() == 0; }));
  CHECK(spread(per_loop_connections(engine)) == 0);
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

TEST_CASE("Round-robin hands each new connection to the next loop in turn", "[load_balancing]") {
  Recorder recorder;
  auto running =
      actnet::start(recorder, {"tcp://127.0.0.1:0"},
                    {.num_event_loops = 4, .load_balancing = actnet::LoadBalancing::round_robin});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  const actnet::io::SocketAddress to = engine.listen_addresses()[0];

  std::vector<std::unique_ptr<TestClient>> clients;
  open_clients(to, 40, clients);
  REQUIRE(eventually([&] { return recorder.opened() == 40 && engine.count_connections() == 40; }));
  const std::vector<std::int64_t> counts = per_loop_connections(engine);
  CAPTURE(counts);
  CHECK(counts == std::vector<std::int64_t>{10, 10, 10, 10});
  // In the order they connected: loop k, k+1, k+2, ... (mod 4).
  const long first = recorder.loop_of(local_of(clients[0]->fd()));
  REQUIRE(first >= 0);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    CAPTURE(i);
    CHECK(recorder.loop_of(local_of(clients[i]->fd())) == (first + static_cast<long>(i)) % 4);
  }

  // Closing some does not change the rotation: the next connection goes to the next loop.
  clients.resize(30);
  REQUIRE(eventually([&] { return engine.count_connections() == 30; }));
  open_clients(to, 4, clients);
  REQUIRE(eventually([&] { return recorder.opened() == 44 && engine.count_connections() == 34; }));
  for (std::size_t i = 30; i < 34; ++i)
    CHECK(recorder.loop_of(local_of(clients[i]->fd())) ==
          (first + 40 + static_cast<long>(i - 30)) % 4);

  clients.clear();
  CHECK(eventually([&] { return engine.count_connections() == 0; }));
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
}

namespace {

actnet::io::SocketAddress ipv6_loopback() {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_addr = in6addr_loopback;
  return {reinterpret_cast<const sockaddr*>(&in6), sizeof in6};
}

// One engine's run: per source address, the loops its connections landed on. Sources are
// 127.0.0.1 .. 127.0.0.<sources> (all loopback) and ::1.
std::map<std::string, std::set<long>> hash_placements(std::size_t sources, std::size_t per_source) {
  Recorder recorder;
  auto running = actnet::start(
      recorder, {"tcp://127.0.0.1:0", "tcp6://[::1]:0"},
      {.num_event_loops = 4, .load_balancing = actnet::LoadBalancing::source_address_hash});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  REQUIRE(engine.listen_addresses().size() == 2);
  const actnet::io::SocketAddress to4 = engine.listen_addresses()[0];
  const actnet::io::SocketAddress to6 = engine.listen_addresses()[1];

  std::vector<std::pair<std::string, std::unique_ptr<SourceClient>>> clients;
  for (std::size_t s = 1; s <= sources; ++s) {
    const std::string ip = "127.0.0." + std::to_string(s);
    for (std::size_t i = 0; i < per_source; ++i)
      clients.emplace_back(ip, std::make_unique<SourceClient>(ipv4(ip.c_str(), 0), to4));
  }
  for (std::size_t i = 0; i < per_source; ++i)
    clients.emplace_back("::1", std::make_unique<SourceClient>(ipv6_loopback(), to6));
  REQUIRE(eventually([&] { return recorder.opened() == clients.size(); }));

  std::map<std::string, std::set<long>> placements;
  for (const auto& [ip, client] : clients)
    placements[ip].insert(recorder.loop_of(local_of(client->fd())));
  clients.clear();
  CHECK(eventually([&] { return engine.count_connections() == 0; }));
  CHECK_FALSE(engine.stop(5s));
  CHECK(running->wait().ok());
  return placements;
}

}  // namespace

TEST_CASE("Source-address hashing sends every connection from one address to the same loop",
          "[load_balancing]") {
  constexpr std::size_t kSources = 16, kPerSource = 6;
  const auto first = hash_placements(kSources, kPerSource);
  REQUIRE(first.size() == kSources + 1);
  std::set<long> used;
  for (const auto& [ip, loops] : first) {
    CAPTURE(ip, loops);
    REQUIRE(loops.size() == 1);  // one address, one loop
    CHECK(*loops.begin() >= 0);
    CHECK(*loops.begin() < 4);
    used.insert(*loops.begin());
  }
  // Different addresses are spread: sixteen of them do not all hash to one loop.
  CHECK(used.size() > 1);

  // The placement is a function of the address alone: a second engine agrees.
  const auto second = hash_placements(kSources, kPerSource);
  CHECK(second == first);
}
