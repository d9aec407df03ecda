// Load: 10,000 concurrent connections on one engine, all open at once, each echoing a
// payload of its own, compared byte for byte.
//
// The clients run in a forked child (plain non-blocking sockets and epoll, a few threads,
// nothing from actnet), so that each process needs only ~10,000 descriptors: the engine's
// side and the clients' side together would pass this machine's hard RLIMIT_NOFILE. The
// engine runs in this process, so its connection count and descriptors are checked directly.
// The child answers commands on a pipe and is killed if the test ends early.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "faults/process_fds.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int kConnections = 10'000;
constexpr int kClientThreads = 4;
constexpr int kConnectsInFlight = 128;  // per client thread: well inside the listen backlog
constexpr rlim_t kDescriptorsNeeded = kConnections + 256;  // per process
constexpr auto kPhaseLimit = 30s;                          // the child gives up after this

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

// Connection i's payload: its number, then bytes that depend on it, of a length that varies.
std::string payload(int i) {
  std::string out = std::string("connection ").append(std::to_string(i)).append(":");
  const std::size_t extra = 64 + static_cast<std::size_t>(i % 193);
  for (std::size_t b = 0; b < extra; ++b)
    out.push_back(static_cast<char>((static_cast<std::size_t>(i) * 131 + b * 17) % 256));
  return out;
}

// ---- the child: the clients ----------------------------------------------------------

struct ClientSocket {
  int fd = -1;
  int index = 0;
  std::string out;
  std::size_t sent = 0;
  std::string back;
  bool finished = false;
};

bool past(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::steady_clock::now() > deadline;
}

// Connects `count` sockets to `port`, at most kConnectsInFlight at a time; how many connected.
int connect_all(std::vector<ClientSocket>& socks, int epoll, int port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  const auto deadline = std::chrono::steady_clock::now() + kPhaseLimit;
  int connected = 0;
  std::size_t next = 0;
  int in_flight = 0;
  epoll_event events[kConnectsInFlight];
  while ((next < socks.size() || in_flight > 0) && !past(deadline)) {
    while (next < socks.size() && in_flight < kConnectsInFlight) {
      ClientSocket& s = socks[next];
      s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s.fd < 0) return connected;
      const int r = ::connect(s.fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
      if (r == 0) {
        ++connected;
      } else if (errno == EINPROGRESS) {
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = next;
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, s.fd, &ev);
        ++in_flight;
      }
      ++next;
    }
    const int n = ::epoll_wait(epoll, events, kConnectsInFlight, 100);
    for (int e = 0; e < n; ++e) {
      ClientSocket& s = socks[events[e].data.u64];
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) ++connected;
      ::epoll_ctl(epoll, EPOLL_CTL_DEL, s.fd, nullptr);
      --in_flight;
    }
  }
  return connected;
}

// Sends every payload and reads its echo; how many came back equal.
int echo_all(std::vector<ClientSocket>& socks, int epoll) {
  for (std::size_t i = 0; i < socks.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, socks[i].fd, &ev);
  }
  const auto deadline = std::chrono::steady_clock::now() + kPhaseLimit;
  int equal = 0;
  std::size_t open = socks.size();
  std::vector<epoll_event> events(256);
  char buf[4096];
  while (open > 0 && !past(deadline)) {
    const int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      ClientSocket& s = socks[events[e].data.u64];
      if (s.finished) continue;
      if ((events[e].events & EPOLLOUT) && s.sent < s.out.size()) {
        const ssize_t w = ::send(s.fd, s.out.data() + s.sent, s.out.size() - s.sent, MSG_NOSIGNAL);
        if (w > 0) s.sent += static_cast<std::size_t>(w);
        if (s.sent == s.out.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = events[e].data.u64;
          ::epoll_ctl(epoll, EPOLL_CTL_MOD, s.fd, &ev);
        }
      }
      if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        const ssize_t r = ::recv(s.fd, buf, sizeof buf, 0);
        if (r > 0) s.back.append(buf, static_cast<std::size_t>(r));
        if (r == 0 || (r < 0 && errno != EAGAIN) || s.back.size() >= s.out.size()) {
          s.finished = true;
          --open;
          if (s.back == s.out) ++equal;
          ::epoll_ctl(epoll, EPOLL_CTL_DEL, s.fd, nullptr);
        }
      }
    }
  }
  return equal;
}

void write_line(int fd, const std::string& line) {
  (void)!::write(fd, line.data(), line.size());
}

// First the server's port (an int), then commands, one byte each: 'c' connect all and
// report "connected N", 'e' echo and report "echoed N", 'q' (or EOF) close everything and
// exit.
[[noreturn]] void child_main(int commands, int reports) {
  int port = 0;
  if (::read(commands, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) ::_exit(1);
  std::vector<std::vector<ClientSocket>> groups(kClientThreads);
  std::vector<int> epolls(kClientThreads);
  for (int i = 0; i < kConnections; ++i) {
    ClientSocket s;
    s.index = i;
    s.out = payload(i);
    groups[static_cast<std::size_t>(i % kClientThreads)].push_back(std::move(s));
  }
  for (int& e : epolls)
    e = ::epoll_create1(EPOLL_CLOEXEC);
  auto each_group = [&](auto work) {
    std::atomic<int> total{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kClientThreads; ++t)
      threads.emplace_back([&, t] { total.fetch_add(work(groups[t], epolls[t])); });
    for (std::thread& thread : threads)
      thread.join();
    return total.load();
  };
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(commands, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == 'q') break;
    if (c == 'c') {
      const int connected = each_group(
          [port](std::vector<ClientSocket>& g, int e) { return connect_all(g, e, port); });
      write_line(reports, "connected " + std::to_string(connected) + "\n");
    } else if (c == 'e') {
      const int equal =
          each_group([](std::vector<ClientSocket>& g, int e) { return echo_all(g, e); });
      write_line(reports, "echoed " + std::to_string(equal) + "\n");
    }
  }
  for (auto& group : groups) {
    for (ClientSocket& s : group) {
      if (s.fd >= 0) ::close(s.fd);
    }
  }
  ::_exit(0);
}

// ---- the parent's view of the child --------------------------------------------------

class ClientProcess {
 public:
  // Forks at once, before the engine starts threads: the child may then allocate freely.
  ClientProcess() {
    int down[2], up[2];
    REQUIRE(::pipe2(down, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(up, O_CLOEXEC) == 0);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      ::close(down[1]);
      ::close(up[0]);
      child_main(down[0], up[1]);
    }
    ::close(down[0]);
    ::close(up[1]);
    commands_ = down[1];
    reports_ = up[0];
  }
  ~ClientProcess() {
    ::close(commands_);
    ::close(reports_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  void start(int port) { (void)!::write(commands_, &port, sizeof port); }

  // Sends a command and returns the number in its report line, or nothing within `limit`.
  std::optional<int> ask(char command, std::chrono::milliseconds limit) {
    (void)!::write(commands_, &command, 1);
    std::string line;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (line.empty() || line.back() != '\n') {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{reports_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char c = 0;
      if (::read(reports_, &c, 1) != 1) return std::nullopt;
      line.push_back(c);
    }
    std::istringstream in(line);
    std::string word;
    int value = -1;
    in >> word >> value;
    return value;
  }

  // Asks the child to close every socket and exit; true when it exited cleanly.
  bool quit(std::chrono::milliseconds limit) {
    const char q = 'q';
    (void)!::write(commands_, &q, 1);
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int commands_ = -1;
  int reports_ = -1;
};

std::int64_t loop_connections(const actnet::Engine& engine) {
  std::int64_t total = 0;
  for (const actnet::LoopStats& loop : engine.stats().loops)
    total += loop.connections;
  return total;
}

}  // namespace

TEST_CASE("One engine holds 10,000 connections open at once and echoes each one's own payload",
          "[faults][ten_thousand][serial]") {
  const rlim_t limit = faults::raise_fd_limit();
  if (limit < kDescriptorsNeeded) {
    WARN("skipped: RLIMIT_NOFILE allows " << limit << " descriptors, the test needs "
                                          << kDescriptorsNeeded << " per process");
    return;
  }
  ClientProcess clients;
  const int fds_before = faults::open_fd_count();
  {
    Echo handler;
    auto running = actnet::start(handler, {"tcp://127.0.0.1:0"},
                                 {.num_event_loops = 2, .watchdog_threshold = 0ms});
    REQUIRE(running.ok());
    actnet::Engine engine = running->engine();
    clients.start(engine.listen_addresses().at(0).port());

    const auto started = std::chrono::steady_clock::now();
    CHECK(clients.ask('c', 40s) == kConnections);
    // All of them open at once, on the engine's side too.
    REQUIRE(eventually([&] { return engine.count_connections() == kConnections; }, 20s));
    CHECK(loop_connections(engine) == kConnections);
    CHECK(engine.stats().accepted == kConnections);

    CHECK(clients.ask('e', 40s) == kConnections);
    CHECK(engine.count_connections() == kConnections);  // the echo closed none
    const auto took = std::chrono::steady_clock::now() - started;
    INFO("connect and echo took "
         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");

    CHECK(clients.quit(20s));
    REQUIRE(eventually([&] { return engine.count_connections() == 0; }, 20s));
    REQUIRE_FALSE(engine.stop());
    REQUIRE(running->wait().ok());
    CHECK(loop_connections(engine) == 0);
  }
  CHECK(faults::open_fd_count() == fds_before);
}
