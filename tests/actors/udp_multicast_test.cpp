// A udp:// listener on a multicast group joins it on Options::multicast_interface_index and
// receives a datagram sent to the group. It runs in a child process inside a network
// namespace of its own with only `lo` (brought up with multicast on), so no datagram can
// leave the machine; where namespaces are unavailable it is skipped with a warning.

#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"

using namespace std::chrono_literals;

namespace {

// Child exit codes.
constexpr int kOk = 0;
constexpr int kNoNamespace = 77;
constexpr int kLoopbackDown = 78;
constexpr int kEngineFailed = 3;
constexpr int kSendFailed = 4;
constexpr int kNotReceived = 5;
constexpr int kReceivedTwice = 6;
constexpr int kWrongContent = 7;

bool enter_network_namespace() {
  if (::unshare(CLONE_NEWNET) == 0) return true;
  // Without CAP_SYS_ADMIN: a user namespace of our own grants it for a new network one.
  return ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
}

bool loopback_up_with_multicast() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &req) == 0;
  if (ok) {
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_MULTICAST);
    ok = ::ioctl(fd, SIOCSIFFLAGS, &req) == 0;
  }
  ::close(fd);
  return ok;
}

struct Receiver : actnet::EventHandler {
  std::atomic<int> received{0};
  std::atomic<bool> content_ok{true};
  actnet::Action on_traffic(actnet::Conn& conn) override {
    if (conn.next() != "hello, group") content_ok = false;
    received.fetch_add(1);
    return actnet::Action::none;
  }
};

// In the namespace: an engine of two loops on the group, a sender on lo, and the verdict.
int child_main() {
  if (!enter_network_namespace()) return kNoNamespace;
  if (!loopback_up_with_multicast()) return kLoopbackDown;
  const unsigned lo = ::if_nametoindex("lo");
  if (lo == 0) return kLoopbackDown;

  Receiver receiver;
  auto running = actnet::start(receiver, {"udp4://224.0.0.199:0"},
                               {.num_event_loops = 2, .multicast_interface_index = lo});
  if (!running) return kEngineFailed;
  const actnet::io::SocketAddress group = running->engine().listen_addresses().front();

  const int out = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ip_mreqn via{};
  via.imr_ifindex = static_cast<int>(lo);
  const int loop_back = 1;
  if (out < 0 || ::setsockopt(out, IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via) != 0 ||
      ::setsockopt(out, IPPROTO_IP, IP_MULTICAST_LOOP, &loop_back, sizeof loop_back) != 0) {
    return kSendFailed;
  }
  const std::string msg = "hello, group";
  if (::sendto(out, msg.data(), msg.size(), 0, group.data(), group.size()) !=
      static_cast<ssize_t>(msg.size())) {
    return kSendFailed;
  }
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (receiver.received == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(200ms);  // a second copy (one per loop) would show by now
  ::close(out);
  (void)running->engine().stop();
  (void)running->wait();
  if (receiver.received == 0) return kNotReceived;
  if (receiver.received > 1) return kReceivedTwice;
  return receiver.content_ok ? kOk : kWrongContent;
}

}  // namespace

TEST_CASE("A multicast listener receives a datagram sent to its group on loopback", "[udp]") {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(child_main());  // never back into Catch in the child

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("the multicast child did not finish within 30 s");
  }
  REQUIRE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  if (code == kNoNamespace || code == kLoopbackDown) {
    WARN("no network namespace of our own here (unshare or lo setup refused): skipped");
    return;
  }
  INFO("child exit code " << code
                          << " (3 engine, 4 send, 5 not received, 6 twice, 7 wrong content)");
  CHECK(code == kOk);
}
