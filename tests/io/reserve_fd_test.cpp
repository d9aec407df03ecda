#include "actnet/io/reserve_fd.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/socket.hpp"
#include "io/loopback.hpp"

using namespace actnet::io;
using actnet_test::loopback_v4;
using actnet_test::wait_for;

namespace {

// What went wrong in the child, by exit code (the child cannot use Catch2).
enum Step : int {
  kPassed = 0,
  kSetupFailed = 10,
  kRlimitFailed,
  kNotExhausted,           // the fd table never filled up
  kAcceptDidNotFail,       // accept_one succeeded although no descriptor was free
  kNotReadableBeforeShed,  // the listener did not show the pending connection
  kShedFailed,
  kClientSawNoClose,  // the shed connection's client never saw EOF or a reset
  kStillReadable,     // the listener still reports the shed connection
  kNoSpareAfterShed,
  kReconnectFailed,
  kAcceptAfterFreeFailed,
};

int connect_client(const SocketAddress& to, UniqueFd& out) {
  auto connecting = start_connect(to);
  if (!connecting) return -1;
  if (connecting->in_progress && !(wait_for(connecting->fd.get(), POLLOUT, 5000) & POLLOUT)) {
    return -1;
  }
  if (!finish_connect(connecting->fd.get())) return -1;
  out = std::move(connecting->fd);
  return 0;
}

// Runs in the forked child: fills its fd table, then checks that a pending connection is shed
// rather than left to keep the listener readable, and that accepting recovers.
int emfile_scenario() {
  auto listener = listen_tcp(loopback_v4());
  if (!listener) return kSetupFailed;
  auto address = local_address(listener->get());
  if (!address) return kSetupFailed;
  auto reserve = ReserveFd::open();
  if (!reserve) return kSetupFailed;
  UniqueFd client;
  if (connect_client(*address, client) != 0) return kSetupFailed;

  // A low limit keeps the filling cheap. Descriptors already above it stay open; new ones
  // are refused with EMFILE once every number below it is taken.
  rlimit limit{256, 256};
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return kRlimitFailed;
  std::vector<int> fillers;
  fillers.reserve(512);
  for (;;) {
    const int fd = ::dup(listener->get());
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  if (errno != EMFILE) return kNotExhausted;

  auto accepted = accept_one(listener->get());
  if (accepted.ok()) return kAcceptDidNotFail;
  if (!ReserveFd::is_exhaustion(accepted.error())) return kAcceptDidNotFail;
  // Without shedding, this is where a level-triggered loop would spin: still readable.
  if (!(wait_for(listener->get(), POLLIN, 0) & POLLIN)) return kNotReadableBeforeShed;

  auto shed = reserve->shed(listener->get());
  if (!shed || !*shed) return kShedFailed;
  if (!reserve->holds_spare()) return kNoSpareAfterShed;
  if (!(wait_for(client.get(), POLLIN, 5000) & (POLLIN | POLLHUP | POLLERR))) {
    return kClientSawNoClose;
  }
  char byte;
  const ssize_t n = ::read(client.get(), &byte, 1);
  if (!(n == 0 || (n < 0 && errno == ECONNRESET))) return kClientSawNoClose;
  if (wait_for(listener->get(), POLLIN, 0) & POLLIN) return kStillReadable;

  // Free a few descriptors: a new client connects and is accepted normally.
  for (int i = 0; i < 4; ++i) {
    ::close(fillers.back());
    fillers.pop_back();
  }
  UniqueFd second;
  if (connect_client(*address, second) != 0) return kReconnectFailed;
  if (!(wait_for(listener->get(), POLLIN, 5000) & POLLIN)) return kAcceptAfterFreeFailed;
  auto normal = accept_one(listener->get());
  if (!normal || !normal->has_value()) return kAcceptAfterFreeFailed;
  for (int fd : fillers)
    ::close(fd);
  return kPassed;
}

// Waits for `pid` up to `limit`, killing it if it is still running then; its wait status.
int wait_bounded(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

TEST_CASE(
    "Out of descriptors the reserve fd sheds the pending connection so the listener stops being "
    "readable and accepting recovers once fds free up",
    "[reserve_fd]") {
  // Only the forked child lowers its RLIMIT_NOFILE; this process keeps its own.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(emfile_scenario());
  const int status = wait_bounded(pid, std::chrono::seconds(30));
  REQUIRE(status != -1);  // -1: timed out and killed
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == kPassed);
}

TEST_CASE("shed reports nothing shed when no connection is pending and keeps its spare",
          "[reserve_fd]") {
  auto listener = listen_tcp(loopback_v4());
  REQUIRE(listener.ok());
  auto reserve = ReserveFd::open();
  REQUIRE(reserve.ok());
  REQUIRE(reserve->holds_spare());
  auto shed = reserve->shed(listener->get());
  REQUIRE(shed.ok());
  CHECK_FALSE(*shed);
  CHECK(reserve->holds_spare());
}

TEST_CASE("shed on a listener that is not a socket reports the accept error and keeps its spare",
          "[reserve_fd]") {
  auto reserve = ReserveFd::open();
  REQUIRE(reserve.ok());
  auto shed = reserve->shed(-1);
  REQUIRE_FALSE(shed.ok());
  CHECK_THAT(shed.error().message, Catch::Contains("accept4 on fd -1"));
  CHECK(reserve->holds_spare());
}

TEST_CASE("is_exhaustion recognises EMFILE and ENFILE only", "[reserve_fd]") {
  CHECK(
      ReserveFd::is_exhaustion(actnet::Error(std::error_code(EMFILE, std::system_category()), "")));
  CHECK(
      ReserveFd::is_exhaustion(actnet::Error(std::error_code(ENFILE, std::system_category()), "")));
  CHECK_FALSE(
      ReserveFd::is_exhaustion(actnet::Error(std::error_code(EBADF, std::system_category()), "")));
}
