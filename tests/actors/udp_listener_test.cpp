// What a udp:// listener promises beyond echo: send_to reaches any peer, a datagram longer
// than read_buffer_cap is dropped and counted (never delivered in part) while the largest
// UDP datagram fits the default cap whole, the per-datagram Conn's rules (writev is one
// datagram, close does nothing, ref() is empty, send_to is refused on TCP), graceful stop,
// and TCP beside UDP on one engine.

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "actors/udp_test_client.hpp"

using namespace std::chrono_literals;

namespace {

actnet::io::SocketAddress loopback4_any_port() {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return actnet::io::SocketAddress(reinterpret_cast<const sockaddr*>(&in), sizeof in);
}

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

std::uint64_t sum(const actnet::EngineStats& s, std::uint64_t actnet::LoopStats::*field) {
  std::uint64_t total = 0;
  for (const auto& l : s.loops)
    total += l.*field;
  return total;
}

std::optional<std::string> text(const char* s) {
  return std::string(s);
}

}  // namespace

TEST_CASE("send_to from on_traffic reaches ten other peers", "[udp]") {
  // Peers register with "reg"; the controller's "go" makes the handler send one datagram to
  // each registered peer, then answer the controller "done".
  struct Fanout : actnet::EventHandler {
    std::vector<actnet::io::SocketAddress> peers;  // loop thread only (one loop)
    std::atomic<int> send_errors{0};
    actnet::Action on_traffic(actnet::Conn& conn) override {
      const std::string msg(conn.next());
      if (msg == "reg") {
        peers.push_back(conn.remote_address());
        conn.write("ok");
      } else if (msg == "go") {
        for (std::size_t i = 0; i < peers.size(); ++i) {
          conn.send_to(peers[i], "to peer " + std::to_string(i), [this](std::error_code ec) {
            if (ec) send_errors.fetch_add(1);
          });
        }
        conn.write("done");
      }
      return actnet::Action::none;
    }
  } handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"});
  REQUIRE(running);
  const auto server = running->engine().listen_addresses().front();
  const auto bind_to = loopback4_any_port();

  std::vector<std::unique_ptr<UdpTestSocket>> peers;
  for (int i = 0; i < 10; ++i) {
    peers.push_back(std::make_unique<UdpTestSocket>(AF_INET, 2000, &bind_to));
    peers.back()->send_to(server, "reg");
    REQUIRE(peers.back()->recv() == text("ok"));
  }
  UdpTestSocket controller(AF_INET, 2000);
  controller.connect(server);
  controller.send("go");
  CHECK(controller.recv() == text("done"));
  for (std::size_t i = 0; i < peers.size(); ++i) {
    actnet::io::SocketAddress from;
    CHECK(peers[i]->recv(&from) == std::optional<std::string>("to peer " + std::to_string(i)));
    CHECK(from == server);
  }
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(handler.send_errors == 0);
}

TEST_CASE("A datagram longer than read_buffer_cap is dropped and counted, never cut", "[udp]") {
  struct Sizes : Echo {
    std::atomic<int> calls{0};
    actnet::Action on_traffic(actnet::Conn& conn) override {
      calls.fetch_add(1);
      return Echo::on_traffic(conn);
    }
  } handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"}, {.read_buffer_cap = 1024});
  REQUIRE(running);
  UdpTestSocket sock(AF_INET, 500);
  sock.connect(running->engine().listen_addresses().front());

  sock.send(std::string(1025, 'x'));  // one byte too many
  CHECK_FALSE(sock.recv().has_value());
  const std::string exact(1024, 'y');  // exactly the cap: whole
  sock.send(exact);
  CHECK(sock.recv() == exact);
  sock.send(std::string(4000, 'z'));
  sock.send("after");
  CHECK(sock.recv() == text("after"));

  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  const auto stats = running->engine().stats();  // after the stop: every counter is final
  CHECK(handler.calls == 2);
  CHECK(sum(stats, &actnet::LoopStats::datagrams_truncated) == 2);
  CHECK(sum(stats, &actnet::LoopStats::bytes_in) == 1024 + 5);
}

TEST_CASE("The largest IPv4 datagram comes back whole with the default read cap", "[udp]") {
  Echo handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"});
  REQUIRE(running);
  UdpTestSocket sock(AF_INET, 2000);
  sock.connect(running->engine().listen_addresses().front());
  std::string big(65'507, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 31 + 7);
  sock.send(big);
  CHECK(sock.recv() == big);
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  const auto stats = running->engine().stats();  // after the stop: every counter is final
  CHECK(sum(stats, &actnet::LoopStats::datagrams_truncated) == 0);
  CHECK(sum(stats, &actnet::LoopStats::bytes_in) == big.size());
  CHECK(sum(stats, &actnet::LoopStats::bytes_out) == big.size());
}

TEST_CASE("A datagram Conn writes writev as one datagram and ignores close and ref", "[udp]") {
  struct Rules : actnet::EventHandler {
    std::atomic<int> ref_error{0};  // the errno-like value of the ref's failed write
    std::atomic<bool> ref_empty{false};
    std::atomic<int> opens{0}, closes{0};
    actnet::Action on_open(actnet::Conn&) override {
      opens.fetch_add(1);
      return actnet::Action::none;
    }
    actnet::Action on_close(actnet::Conn&, std::error_code) override {
      closes.fetch_add(1);
      return actnet::Action::none;
    }
    actnet::Action on_traffic(actnet::Conn& conn) override {
      const std::string msg(conn.next());
      if (msg == "writev") {
        const std::string_view parts[] = {"one ", "datagram ", "of three parts"};
        conn.writev(parts);
      } else if (msg == "close") {
        conn.close();  // nothing to close: the listener serves on
        conn.write(conn.is_open() ? "still open" : "closed");
        return actnet::Action::close;
      } else if (msg == "ref") {
        const actnet::ConnRef ref = conn.ref();
        ref_empty = !ref;
        ref_error = ref.async_write("never").value();
        conn.write("ref");
      } else if (msg == "throw") {
        throw std::runtime_error("a handler failure must not close the listener");
      } else {
        conn.write(msg);
      }
      return actnet::Action::none;
    }
  } handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"});
  REQUIRE(running);
  UdpTestSocket sock(AF_INET, 2000);
  sock.connect(running->engine().listen_addresses().front());

  sock.send("writev");
  CHECK(sock.recv() == text("one datagram of three parts"));
  sock.send("close");
  CHECK(sock.recv() == text("still open"));
  sock.send("ref");
  CHECK(sock.recv() == text("ref"));
  sock.send("throw");
  sock.send("echo after all that");
  CHECK(sock.recv() == text("echo after all that"));

  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(handler.ref_empty);
  CHECK(handler.ref_error ==
        static_cast<int>(make_error_code(actnet::Errc::connection_closed).value()));
  CHECK(handler.opens == 0);
  CHECK(handler.closes == 0);
}

TEST_CASE("send_to on a TCP connection is refused as unsupported", "[udp]") {
  struct Tcp : actnet::EventHandler {
    std::atomic<bool> refused{false};
    actnet::Action on_traffic(actnet::Conn& conn) override {
      refused = conn.send_to(conn.remote_address(), "x") == actnet::Errc::unsupported &&
                !conn.is_datagram();
      conn.write(conn.next());
      return actnet::Action::none;
    }
  } handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running);
  TestClient client(running->engine().listen_addresses().front());
  client.send_all("hi");
  CHECK(client.recv_exact(2) == "hi");
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(handler.refused);
}

TEST_CASE("Graceful stop closes UDP listeners on every loop and runs on_shutdown", "[udp]") {
  struct Stopping : Echo {
    std::atomic<int> shutdowns{0};
    void on_shutdown(actnet::Engine&) override { shutdowns.fetch_add(1); }
  } handler;
  auto running =
      actnet::start(handler, {"udp4://127.0.0.1:0"}, {.num_event_loops = 3, .stop_timeout = 2s});
  REQUIRE(running);
  const auto server = running->engine().listen_addresses().front();
  UdpTestSocket sock(AF_INET, 300);
  sock.connect(server);
  sock.send("before");
  CHECK(sock.recv() == text("before"));

  const auto asked = std::chrono::steady_clock::now();
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(std::chrono::steady_clock::now() - asked < 1500ms);  // nothing for a UDP loop to drain
  CHECK(handler.shutdowns == 1);
  CHECK(running->engine().stopped());

  // Every loop's socket is closed: the port is free again and nothing answers.
  // (A socket still bound with SO_REUSEPORT would make this bind fail with EADDRINUSE.)
  UdpTestSocket rebind(AF_INET, 300, &server);
  sock.send("after");
  CHECK(rebind.recv() == text("after"));
  CHECK_FALSE(sock.recv().has_value());
}

TEST_CASE("One engine serves TCP and UDP listeners side by side", "[udp]") {
  Echo handler;
  auto running =
      actnet::start(handler, {"tcp://127.0.0.1:0", "udp4://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running);
  const auto bound = running->engine().listen_addresses();
  REQUIRE(bound.size() == 2);
  // listen_addresses() does not say which is which: the TCP one is the one that accepts.
  std::size_t tcp_index = 1;
  try {
    TestClient probe(bound[0]);
    tcp_index = 0;
  } catch (const std::exception&) {
  }
  TestClient tcp(bound[tcp_index]);
  tcp.send_all("over tcp");
  CHECK(tcp.recv_exact(8) == "over tcp");
  UdpTestSocket udp(AF_INET, 2000);
  udp.connect(bound[1 - tcp_index]);
  udp.send("over udp");
  CHECK(udp.recv() == text("over udp"));
  CHECK(running->engine().count_connections() == 1);  // the TCP one only
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
}

TEST_CASE("A datagram handler returning shutdown stops the engine", "[udp]") {
  struct Quit : actnet::EventHandler {
    actnet::Action on_traffic(actnet::Conn& conn) override {
      conn.write("bye");
      return actnet::Action::shutdown;
    }
  } handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"});
  REQUIRE(running);
  UdpTestSocket sock(AF_INET, 2000);
  sock.connect(running->engine().listen_addresses().front());
  sock.send("quit");
  CHECK(sock.recv() == text("bye"));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!running->engine().stopped() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  CHECK(running->engine().stopped());
  REQUIRE(running->wait());
}

TEST_CASE("UDP listeners stay level-triggered when edge_triggered is set", "[udp]") {
  // More datagrams than one readable event reads (kBatch x kReadBatches = 64) arrive before
  // the loop looks: with an edge-triggered registration the rest would wait for a new edge.
  Echo handler;
  auto running = actnet::start(handler, {"udp4://127.0.0.1:0"}, {.edge_triggered = true});
  REQUIRE(running);
  UdpTestSocket sock(AF_INET, 2000);
  sock.connect(running->engine().listen_addresses().front());
  constexpr int kBurst = 120;  // well inside the default receive buffer: none dropped
  for (int i = 0; i < kBurst; ++i)
    sock.send("datagram " + std::to_string(i));
  int back = 0;
  while (back < kBurst && sock.recv().has_value())
    ++back;
  REQUIRE(!running->engine().stop());
  REQUIRE(running->wait());
  CHECK(back == kBurst);
}
