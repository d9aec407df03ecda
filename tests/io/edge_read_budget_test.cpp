#include "actnet/io/edge_read_budget.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/epoll_poller.hpp"

using namespace actnet::io;
using End = EdgeReadBudget::End;

namespace {

struct SocketPair {
  UniqueFd reader, writer;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    reader.reset(fds[0]);
    writer.reset(fds[1]);
  }
  void send(std::size_t bytes) const {
    const std::string data(bytes, 'x');
    REQUIRE(::write(writer.get(), data.data(), data.size()) == static_cast<ssize_t>(bytes));
  }
};

// The loop's turn as edge_read_budget.hpp describes it, cut down to what the test needs:
// connections are tokens, serving one reads at most a chunk, and it records what each turn
// read from whom.
class TinyLoop {
 public:
  TinyLoop(EpollPoller& poller, EdgeReadBudget& budget) : poller_(poller), budget_(budget) {}

  void connect(std::uint64_t token, int fd) {
    fds_[token] = fd;
    REQUIRE(poller_.add(fd, Interest::readable | Interest::edge_triggered, token).ok());
  }

  // One turn; returns bytes read per token in it. `idle_ms` is the wait when nothing is
  // carried: a test that forgets the carried list would sleep there and see nothing.
  std::map<std::uint64_t, std::size_t> turn(int idle_ms = 2000) {
    std::map<std::uint64_t, std::size_t> read;
    auto ready = poller_.wait(budget_.wait_timeout(idle_ms));
    REQUIRE(ready.ok());
    last_events_ = ready->size();
    auto carried = budget_.begin_turn();
    for (const PollEvent& ev : *ready)
      serve(ev.token, read);
    for (std::uint64_t token : carried)
      serve(token, read);
    return read;
  }

  std::size_t last_events() const { return last_events_; }

 private:
  void serve(std::uint64_t token, std::map<std::uint64_t, std::size_t>& read) {
    auto& last = served_in_[token];
    if (last == budget_.turn()) return;  // fresh edge and carried: one chunk per turn
    last = budget_.turn();
    std::vector<char> buf(64 * 1024);
    const auto outcome = budget_.read(fds_.at(token), buf);
    read[token] += outcome.bytes;
    if (outcome.end == End::spent) budget_.carry(token);
  }

  EpollPoller& poller_;
  EdgeReadBudget& budget_;
  std::map<std::uint64_t, int> fds_;
  std::map<std::uint64_t, std::uint64_t> served_in_;
  std::size_t last_events_ = 0;
};

}  // namespace

TEST_CASE(
    "In edge-triggered mode a flooding connection gets one chunk per turn while another is served "
    "in the same turn and the rest keeps coming without a new edge",
    "[edge_read_budget]") {
  auto poller = EpollPoller::open();
  REQUIRE(poller.ok());
  constexpr std::size_t kChunk = 1024;
  EdgeReadBudget budget(kChunk);
  TinyLoop loop(*poller, budget);
  SocketPair flood, quiet;
  loop.connect(1, flood.reader.get());
  loop.connect(2, quiet.reader.get());

  flood.send(5 * kChunk + 100);
  quiet.send(10);

  // Turn 1: both have an edge; the flood gets one chunk, the quiet one all of its bytes.
  auto read = loop.turn();
  CHECK(read[1] == kChunk);
  CHECK(read[2] == 10);
  CHECK(budget.has_carried());
  CHECK(budget.wait_timeout(5000) == 0);  // the next wait must not sleep

  // Turn 2: the quiet one talks again and is served in the same turn as the carried flood.
  quiet.send(20);
  read = loop.turn();
  CHECK(read[1] == kChunk);
  CHECK(read[2] == 20);

  // Turns 3 to 5: no new data, no new edge; the flood is served from the carried list.
  for (int turn = 3; turn <= 5; ++turn) {
    read = loop.turn();
    CHECK(loop.last_events() == 0);
    CHECK(read[1] == kChunk);
    CHECK(read.count(2) == 0);
  }
  // Turn 6: the remainder, then EAGAIN: drained, nothing carried.
  read = loop.turn();
  CHECK(read[1] == 100);
  CHECK_FALSE(budget.has_carried());
  CHECK(budget.wait_timeout(5000) == 5000);
}

TEST_CASE("A carried connection that also gets a fresh edge is served once in that turn",
          "[edge_read_budget]") {
  auto poller = EpollPoller::open();
  REQUIRE(poller.ok());
  EdgeReadBudget budget(100);
  TinyLoop loop(*poller, budget);
  SocketPair flood;
  loop.connect(1, flood.reader.get());

  flood.send(300);
  CHECK(loop.turn()[1] == 100);
  flood.send(300);  // a new edge while carried
  auto read = loop.turn();
  CHECK(loop.last_events() == 1);
  CHECK(read[1] == 100);  // not 200: the carried pass skipped it
}

TEST_CASE("A budgeted read reports drained, spent, eof and error", "[edge_read_budget]") {
  EdgeReadBudget budget(8);
  CHECK(budget.chunk() == 8);
  SocketPair pair;
  char buf[64];

  pair.send(5);
  auto drained = budget.read(pair.reader.get(), buf);
  CHECK(drained.bytes == 5);
  CHECK(drained.end == End::drained);

  pair.send(20);
  auto spent = budget.read(pair.reader.get(), buf);
  CHECK(spent.bytes == 8);
  CHECK(spent.end == End::spent);
  auto small = budget.read(pair.reader.get(), std::span<char>(buf, 3));  // `into` caps it too
  CHECK(small.bytes == 3);
  CHECK(small.end == End::spent);

  pair.writer.reset();
  auto rest = budget.read(pair.reader.get(), buf);  // 9 left, then EOF
  CHECK(rest.bytes == 8);
  CHECK(rest.end == End::spent);
  auto eof = budget.read(pair.reader.get(), buf);
  CHECK(eof.bytes == 1);
  CHECK(eof.end == End::eof);

  auto error = budget.read(-1, buf);
  CHECK(error.end == End::error);
  CHECK(error.error_number == EBADF);
}

TEST_CASE("begin_turn hands over what the last turn carried and advances the turn number",
          "[edge_read_budget]") {
  EdgeReadBudget budget(0);
  CHECK(budget.chunk() == 1);  // a zero budget would never make progress
  CHECK(budget.begin_turn().empty());
  const auto first = budget.turn();
  budget.carry(4);
  budget.carry(9);
  auto carried = budget.begin_turn();
  CHECK(budget.turn() == first + 1);
  CHECK(std::vector<std::uint64_t>(carried.begin(), carried.end()) ==
        std::vector<std::uint64_t>{4, 9});
  CHECK_FALSE(budget.has_carried());  // carried again only if served and still spent
  CHECK(budget.begin_turn().empty());
}
