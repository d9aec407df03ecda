// Not *_test.cpp: registered by hand in tests/CMakeLists.txt, only when the examples are built.
// The docs' example programs (docs/examples) run: each server is started on a free
// 127.0.0.1 port, driven by a blocking client, and stopped with SIGTERM, which must end it
// with exit status 0 (graceful stop). A broken example fails here, not in a reader's hands.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/test_client.hpp"
#include "child_process.hpp"

using namespace child_process;

namespace {

std::string example(const std::string& name) {
  return std::string(ACTNET_EXAMPLES_DIR).append("/actnet-example-").append(name);
}

actnet::io::SocketAddress loopback(int port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  return {reinterpret_cast<const sockaddr*>(&sin), sizeof sin};
}

std::unique_ptr<Child> start_example(const TempDir& dir, const std::string& name, int& port) {
  const std::string path = example(name);
  return start_server(
      dir, name,
      [&](int p) {
        return std::vector<std::string>{path, std::to_string(p)};
      },
      port);
}

// SIGTERM must stop the example gracefully: exit status 0, within the time limit.
void require_graceful_exit(Child& server) {
  server.signal(SIGTERM);
  const std::optional<int> status = server.wait_for(kLimit);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

}  // namespace

TEST_CASE("the echo example sends back what a client wrote and stops on SIGTERM", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "echo", port);
  {
    TestClient client(loopback(port));
    client.send_all("hello, echo\n");
    CHECK(client.recv_exact(12) == "hello, echo\n");
  }
  require_graceful_exit(*server);
}

TEST_CASE("the client example dials the echo example and prints its reply", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "echo", port);
  const Ran client = run(dir, {example("client"), std::to_string(port)});
  CHECK(client.exited_zero);
  CHECK(client.out == "hello\n");
  require_graceful_exit(*server);
}

TEST_CASE("the chat-room example sends one member's line to every member", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "chat-room", port);
  {
    TestClient alice(loopback(port));
    REQUIRE(alice.recv_exact(8) == "welcome\n");  // in the room before anyone speaks
    TestClient bob(loopback(port));
    REQUIRE(bob.recv_exact(8) == "welcome\n");
    alice.send_all("hi bob\nand a half");  // the half line stays buffered
    CHECK(bob.recv_exact(7) == "hi bob\n");
    CHECK(alice.recv_exact(7) == "hi bob\n");
    alice.send_all(" line\n");
    CHECK(bob.recv_exact(16) == "and a half line\n");
  }
  require_graceful_exit(*server);
}

TEST_CASE("the offload example answers from a worker while PING is answered on the loop",
          "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "offload", port);
  {
    TestClient client(loopback(port));
    client.send_all("abc\nPING\n");
    // The lookup takes 50 ms on a worker; PING does not wait for it.
    CHECK(client.recv_exact(5) == "PONG\n");
    CHECK(client.recv_exact(4) == "ABC\n");
  }
  require_graceful_exit(*server);
}

TEST_CASE("the backpressure example streams every byte asked for to a slow reader", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "backpressure", port);
  {
    TestClient client(loopback(port));
    client.send_all("8\n");
    std::size_t total = 0;
    for (int i = 0; i < 20; ++i) {  // slow at first: the server must pause, then resume
      total += client.recv_exact(4096).size();
      ::usleep(5000);
    }
    const std::string rest = client.recv_exact((8u << 20) - total);
    total += rest.size();
    CHECK(total == (8u << 20));
    CHECK(rest.find_first_not_of('x') == std::string::npos);
  }
  require_graceful_exit(*server);
}

TEST_CASE("the timers example closes an idle client and says bye before closing on quit",
          "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "timers", port);
  {
    TestClient client(loopback(port));
    client.send_all("ping\n");
    CHECK(client.recv_exact(5) == "ping\n");
    client.send_all("quit\n");
    bool closed = false;
    CHECK(client.recv_until_eof(&closed) == "bye\n");
    CHECK(closed);
  }
  {
    TestClient idle(loopback(port));
    const auto start = std::chrono::steady_clock::now();
    CHECK(idle.closed_within(5000));  // set_idle_timeout(1s)
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  }
  require_graceful_exit(*server);
}

TEST_CASE(
    "the deadlines example answers later from a timer and closes a trickling client at its "
    "read deadline",
    "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "deadlines", port);
  {
    TestClient client(loopback(port));
    client.send_all("ping\n");
    CHECK(client.recv_exact(5) == "ping\n");
    const auto asked = std::chrono::steady_clock::now();
    client.send_all("later\n");
    CHECK(client.recv_exact(6) == "later\n");  // schedule(200ms, ...)
    CHECK(std::chrono::steady_clock::now() - asked >= std::chrono::milliseconds(190));
  }
  {
    // A byte every 300 ms would keep an idle timeout of 1 s at bay forever; the read
    // deadline of 1 s closes the connection all the same.
    TestClient slow(loopback(port));
    const auto start = std::chrono::steady_clock::now();
    for (const char* byte : {"p", "i", "n"}) {
      slow.send_all(byte);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    CHECK(slow.closed_within(5000));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= std::chrono::milliseconds(950));
    CHECK(took < std::chrono::milliseconds(5000));
  }
  require_graceful_exit(*server);
}

TEST_CASE("the shutdown example delivers bye and exits 0 when a client sends shutdown", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "shutdown", port);
  TestClient other(loopback(port));
  TestClient client(loopback(port));
  client.send_all("shutdown\n");
  bool closed = false;
  CHECK(client.recv_until_eof(&closed) == "bye\n");
  CHECK(closed);
  CHECK(other.closed_within(5000));  // closed by the stop, on_close with shutting_down
  const std::optional<int> status = server->wait_for(kLimit);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("the push example delivers three lines from another thread then ends the stream",
          "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "push", port);
  {
    TestClient client(loopback(port));
    bool closed = false;
    CHECK(client.recv_until_eof(&closed) == "line 1\nline 2\nline 3\n");
    CHECK(closed);
  }
  require_graceful_exit(*server);
}

TEST_CASE("the tuning example echoes with every tuning option set", "[docs]") {
  TempDir dir;
  int port = 0;
  auto server = start_example(dir, "tuning", port);
  {
    TestClient client(loopback(port));
    const std::string big(300 * 1024, 't');  // more than one edge-triggered chunk
    client.send_all(big);
    CHECK(client.recv_exact(big.size()) == big);
  }
  require_graceful_exit(*server);
}

TEST_CASE("the udp-echo example echoes a datagram and answers a later one from a worker",
          "[docs]") {
  TempDir dir;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  std::unique_ptr<Child> server;
  std::string reply;
  // UDP has no accept to wait for: send until the echo comes back (retrying on a lost port).
  auto exchange = [&](const std::string& datagram, int port) {
    const actnet::io::SocketAddress to = loopback(port);
    for (int i = 0; i < 100; ++i) {
      ::sendto(fd, datagram.data(), datagram.size(), 0, to.data(), to.size());
      pollfd p{fd, POLLIN, 0};
      while (::poll(&p, 1, 50) == 1) {  // skips late answers to earlier retries
        char buf[256];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0 && std::string(buf, static_cast<std::size_t>(n)) == datagram) return datagram;
      }
    }
    return std::string();
  };
  int port = 0;
  for (int attempt = 0; attempt < 3 && reply.empty(); ++attempt) {
    port = free_port();
    server =
        std::make_unique<Child>(std::vector<std::string>{example("udp-echo"), std::to_string(port)},
                                dir / "udp.log", dir / "udp.log");
    reply = exchange("hello, udp", port);
  }
  CHECK(reply == "hello, udp");
  CHECK(exchange("later:hi", port) == "later:hi");
  ::close(fd);
  require_graceful_exit(*server);
}
