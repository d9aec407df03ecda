// actnet-loadgen (benchmarks/loadgen) against the servers it benchmarks, and against
// servers that damage the stream, so a benchmark can never report figures for bytes that
// did not come back intact.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "child_process.hpp"

namespace {

using namespace child_process;

// A field of the load generator's JSON line as a number; fails the test when missing.
double field(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const auto at = json.find(key);
  if (at == std::string::npos) FAIL("no field " << name << " in " << json);
  return std::strtod(json.c_str() + at + key.size(), nullptr);
}

Ran run_loadgen(const TempDir& dir, int port, std::vector<std::string> extra) {
  std::vector<std::string> argv = {ACTNET_LOADGEN_BINARY, "--port", std::to_string(port),
                                   "--threads", "2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(dir, argv);
}

// Starts `argv_for(port)`, runs the load generator against it for about a second and checks
// that every byte came back and every figure is reported.
void drives_cleanly(const std::string& name,
                    const std::function<std::vector<std::string>(int)>& argv_for) {
  TempDir dir;
  int port = 0;
  auto server = start_server(dir, name, argv_for, port);
  const Ran ran = run_loadgen(dir, port,
                              {"--connections", "50", "--size", "512", "--pipeline", "4",
                               "--duration", "0.8", "--warmup", "0.2"});
  INFO(name << " stdout: " << ran.out << "\nstderr: " << ran.err);
  CHECK(ran.exited_zero);
  CHECK(field(ran.out, "errors") == 0);
  CHECK(field(ran.out, "connected") == 50);
  CHECK(field(ran.out, "messages") > 0);
  CHECK(field(ran.out, "msgs_per_s") > 0);
  CHECK(field(ran.out, "mb_per_s") > 0);
  CHECK(field(ran.out, "p50_us") > 0);
  CHECK(field(ran.out, "p99_us") >= field(ran.out, "p50_us"));
  CHECK(field(ran.out, "p999_us") >= field(ran.out, "p99_us"));
  CHECK(ran.out.find("\"cpu_us_per_msg\":") != std::string::npos);
}

// An echo server in the test process that applies `damage` to each connection's stream:
// damage(bytes, len, offset of bytes[0] in the stream).
class DamagingEchoServer {
 public:
  using Damage = std::function<void(char*, std::size_t, std::uint64_t)>;

  explicit DamagingEchoServer(Damage damage) : damage_(std::move(damage)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
    REQUIRE(::listen(listener_, 128) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&sin), &len) == 0);
    port_ = ntohs(sin.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~DamagingEchoServer() {
    stop_ = true;
    acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(mutex_);
    for (int fd : fds_)
      ::shutdown(fd, SHUT_RDWR);  // wakes a connection thread still blocked in recv
    for (auto& t : connections_)
      t.join();
    for (int fd : fds_)
      ::close(fd);
  }
  int port() const { return port_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      fds_.push_back(fd);
      connections_.emplace_back([this, fd] { echo(fd); });
    }
  }
  void echo(int fd) {
    char buffer[4096];
    std::uint64_t offset = 0;
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      damage_(buffer, static_cast<std::size_t>(n), offset);
      offset += static_cast<std::uint64_t>(n);
      if (::send(fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return;
    }
  }

  Damage damage_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> connections_;
};

// Runs the load generator briefly against a damaging server; returns its JSON line.
std::string against_damage(const DamagingEchoServer::Damage& damage) {
  TempDir dir;
  DamagingEchoServer server(damage);
  const Ran ran = run_loadgen(dir, server.port(),
                              {"--connections", "4", "--size", "64", "--pipeline", "2",
                               "--duration", "0.3", "--warmup", "0"});
  INFO("stdout: " << ran.out << "\nstderr: " << ran.err);
  CHECK_FALSE(ran.exited_zero);
  return ran.out;
}

}  // namespace

TEST_CASE("actnet-loadgen drives actnet-echo with every byte verified and no errors") {
  drives_cleanly("actnet-echo", [](int port) {
    return std::vector<std::string>{
        ACTNET_ECHO_BINARY, "--addr", "tcp://127.0.0.1:" + std::to_string(port),
        "--loops",          "2",      "--reuse-port",
        "--log-level",      "warn"};
  });
}

#define ACTNET_PEER_TEST(NAME, BINARY)                                                           \
  TEST_CASE("actnet-loadgen drives the " NAME " peer echo server with no errors") {              \
    drives_cleanly(NAME, [](int port) {                                                          \
      return std::vector<std::string>{BINARY, "--port", std::to_string(port), "--threads", "2"}; \
    });                                                                                          \
  }

#ifdef ACTNET_PEER_EPOLL_BINARY
ACTNET_PEER_TEST("epoll", ACTNET_PEER_EPOLL_BINARY)
#endif
#ifdef ACTNET_PEER_ASIO_BINARY
ACTNET_PEER_TEST("asio", ACTNET_PEER_ASIO_BINARY)
#endif
#ifdef ACTNET_PEER_LIBUV_BINARY
ACTNET_PEER_TEST("libuv", ACTNET_PEER_LIBUV_BINARY)
#endif
#ifdef ACTNET_PEER_LIBEVENT_BINARY
ACTNET_PEER_TEST("libevent", ACTNET_PEER_LIBEVENT_BINARY)
#endif

TEST_CASE("actnet-loadgen counts an error when the server flips one byte") {
  const std::string json = against_damage([](char* bytes, std::size_t len, std::uint64_t at) {
    if (at <= 1000 && 1000 < at + len) bytes[1000 - at] ^= 0x01;
  });
  CHECK(field(json, "mismatches") >= 1);
  CHECK(field(json, "errors") >= 1);
}

TEST_CASE("actnet-loadgen counts an error when the server reorders bytes") {
  // Swaps two 8-byte runs at stream offsets 512 and 520 (when both arrive in one read).
  const std::string json = against_damage([](char* bytes, std::size_t len, std::uint64_t at) {
    if (at <= 512 && 528 <= at + len) {
      char* a = bytes + (512 - at);
      std::swap_ranges(a, a + 8, a + 8);
    }
  });
  CHECK(field(json, "mismatches") >= 1);
}

TEST_CASE("actnet-loadgen --hold reports once every connection has echoed one message") {
  TempDir dir;
  DamagingEchoServer server([](char*, std::size_t, std::uint64_t) {});
  const Ran ran =
      run_loadgen(dir, server.port(), {"--connections", "30", "--size", "16", "--hold", "0"});
  INFO("stdout: " << ran.out << "\nstderr: " << ran.err);
  CHECK(ran.exited_zero);
  CHECK(field(ran.out, "connected") == 30);
  CHECK(field(ran.out, "messages") == 30);
  CHECK(field(ran.out, "errors") == 0);
}

TEST_CASE("actnet-loadgen reports the server's CPU per message from /proc/PID/stat") {
  TempDir dir;
  DamagingEchoServer server([](char*, std::size_t, std::uint64_t) {});
  // The server runs in this very process, so its pid is ours.
  const Ran ran = run_loadgen(dir, server.port(),
                              {"--connections", "20", "--size", "512", "--duration", "0.6",
                               "--warmup", "0.1", "--server-pid", std::to_string(::getpid())});
  INFO("stdout: " << ran.out << "\nstderr: " << ran.err);
  CHECK(ran.exited_zero);
  CHECK(ran.out.find("\"cpu_us_per_msg\":null") == std::string::npos);
  CHECK(field(ran.out, "server_cpu_us") > 0);
  CHECK(field(ran.out, "cpu_us_per_msg") > 0);
}
