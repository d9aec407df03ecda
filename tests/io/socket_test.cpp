#include "actnet/io/socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/socket_options.hpp"
#include "io/loopback.hpp"

using namespace actnet::io;
using actnet_test::is_cloexec;
using actnet_test::is_nonblocking;
using actnet_test::loopback_v4;
using actnet_test::loopback_v6;
using actnet_test::wait_for;

namespace {

// A connected client and its accepted server side, both checked on the way.
struct Pair {
  UniqueFd client;
  Accepted server;
};

UniqueFd connected_client(const SocketAddress& to) {
  auto connecting = start_connect(to);
  REQUIRE(connecting.ok());
  REQUIRE(is_nonblocking(connecting->fd.get()));
  REQUIRE(is_cloexec(connecting->fd.get()));
  if (connecting->in_progress) REQUIRE((wait_for(connecting->fd.get(), POLLOUT) & POLLOUT));
  REQUIRE(finish_connect(connecting->fd.get()).ok());
  return std::move(connecting->fd);
}

Accepted accept_pending(int listener) {
  REQUIRE((wait_for(listener, POLLIN) & POLLIN));
  auto accepted = accept_one(listener);
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  return std::move(**accepted);
}

Pair connect_pair(int listener) {
  auto local = local_address(listener);
  REQUIRE(local.ok());
  UniqueFd client = connected_client(*local);
  return Pair{std::move(client), accept_pending(listener)};
}

void check_listen_connect_accept(const SocketAddress& where, int family) {
  auto listener = listen_tcp(where);
  REQUIRE(listener.ok());
  CHECK(is_nonblocking(listener->get()));
  CHECK(is_cloexec(listener->get()));
  auto bound = local_address(listener->get());
  REQUIRE(bound.ok());
  CHECK(bound->family() == family);
  CHECK(bound->port() != 0);

  Pair pair = connect_pair(listener->get());
  CHECK(is_nonblocking(pair.server.fd.get()));
  CHECK(is_cloexec(pair.server.fd.get()));

  auto client_local = local_address(pair.client.get());
  auto client_peer = peer_address(pair.client.get());
  auto server_local = local_address(pair.server.fd.get());
  auto server_peer = peer_address(pair.server.fd.get());
  REQUIRE((client_local.ok() && client_peer.ok() && server_local.ok() && server_peer.ok()));
  CHECK(pair.server.peer == *client_local);  // what accept4 reported
  CHECK(*server_peer == *client_local);
  CHECK(*server_local == *client_peer);
  CHECK(*client_peer == *bound);

  // The two ends really are one connection.
  REQUIRE(::write(pair.client.get(), "ping", 4) == 4);
  REQUIRE((wait_for(pair.server.fd.get(), POLLIN) & POLLIN));
  char buf[8] = {};
  CHECK(::read(pair.server.fd.get(), buf, sizeof buf) == 4);
  CHECK(std::string(buf, 4) == "ping");
}

}  // namespace

TEST_CASE(
    "A TCP listener on 127.0.0.1 port 0 accepts a non-blocking connect with non-blocking "
    "close-on-exec fds and matching addresses",
    "[socket]") {
  check_listen_connect_accept(loopback_v4(), AF_INET);
}

TEST_CASE(
    "A TCP listener on ::1 port 0 accepts a non-blocking connect with non-blocking close-on-exec "
    "fds and matching addresses",
    "[socket]") {
  check_listen_connect_accept(loopback_v6(), AF_INET6);
}

TEST_CASE("accept_one reports nothing pending without an error when no client is waiting",
          "[socket]") {
  auto listener = listen_tcp(loopback_v4());
  REQUIRE(listener.ok());
  auto accepted = accept_one(listener->get());
  REQUIRE(accepted.ok());
  CHECK_FALSE(accepted->has_value());
}

TEST_CASE("A connect to a closed port fails with ECONNREFUSED and a message naming connect",
          "[socket]") {
  SocketAddress closed;
  {
    auto listener = listen_tcp(loopback_v4());
    REQUIRE(listener.ok());
    closed = *local_address(listener->get());
  }  // closed: nothing listens on that port now
  auto connecting = start_connect(closed);
  std::optional<actnet::Error> error;
  if (!connecting) {
    error = connecting.error();
  } else {
    REQUIRE(connecting->in_progress);
    REQUIRE(wait_for(connecting->fd.get(), POLLOUT) != 0);
    auto finished = finish_connect(connecting->fd.get());
    REQUIRE_FALSE(finished.ok());
    error = finished.error();
  }
  CHECK(error->code == std::errc::connection_refused);
  CHECK_THAT(error->message, Catch::Contains("connect") && Catch::Contains("Connection refused"));
}

TEST_CASE(
    "SO_REUSEPORT lets two listeners share a port and without it the second bind is refused naming "
    "the address",
    "[socket]") {
  BindOptions shared;
  shared.reuse_port = true;
  auto first = listen_tcp(loopback_v4(), shared);
  REQUIRE(first.ok());
  const std::uint16_t port = local_address(first->get())->port();

  auto second = listen_tcp(loopback_v4(port), shared);
  REQUIRE(second.ok());
  CHECK(local_address(second->get())->port() == port);
  CHECK(*get_reuse_port(second->get()));

  // Connections to the shared port are spread by the kernel over both listeners (by a hash
  // of the 4-tuple): with 32 clients, one listener getting none is a 2^-31 chance.
  constexpr int kClients = 32;
  std::vector<UniqueFd> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(connected_client(loopback_v4(port)));
  int accepted_by[2] = {0, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (accepted_by[0] + accepted_by[1] < kClients &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd fds[2] = {{first->get(), POLLIN, 0}, {second->get(), POLLIN, 0}};
    REQUIRE(::poll(fds, 2, 1000) >= 0);
    for (int i = 0; i < 2; ++i) {
      auto accepted = accept_one(fds[i].fd);
      REQUIRE(accepted.ok());
      if (accepted->has_value()) ++accepted_by[i];
    }
  }
  CHECK(accepted_by[0] + accepted_by[1] == kClients);
  CHECK(accepted_by[0] > 0);
  CHECK(accepted_by[1] > 0);

  auto refused = listen_tcp(loopback_v4(port));  // no SO_REUSEPORT
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == std::errc::address_in_use);
  CHECK_THAT(refused.error().message,
             Catch::Contains("bind(127.0.0.1:" + std::to_string(port) + ")") &&
                 Catch::Contains("Address already in use"));
}

TEST_CASE("listen_backlog is net.core.somaxconn read from proc", "[socket]") {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  int expected = SOMAXCONN;
  if (!(in >> expected)) expected = SOMAXCONN;
  CHECK(listen_backlog() == expected);
  CHECK(listen_backlog() == expected);  // cached, same answer
}

TEST_CASE(
    "shutdown_write delivers EOF to the peer while the socket still reads what the peer sends",
    "[socket]") {
  auto listener = listen_tcp(loopback_v4());
  REQUIRE(listener.ok());
  Pair pair = connect_pair(listener->get());

  REQUIRE(shutdown_write(pair.client.get()).ok());
  REQUIRE((wait_for(pair.server.fd.get(), POLLIN) & POLLIN));
  char buf[8];
  CHECK(::read(pair.server.fd.get(), buf, sizeof buf) == 0);  // EOF

  REQUIRE(::write(pair.server.fd.get(), "late", 4) == 4);
  REQUIRE((wait_for(pair.client.get(), POLLIN) & POLLIN));
  CHECK(::read(pair.client.get(), buf, sizeof buf) == 4);
  CHECK(::send(pair.client.get(), "x", 1, MSG_NOSIGNAL) == -1);  // its own side is shut
}

TEST_CASE("UDP sockets bound to loopback exchange datagrams over IPv4 and IPv6", "[socket]") {
  for (const SocketAddress& where : {loopback_v4(), loopback_v6()}) {
    auto a = bind_udp(where);
    auto b = bind_udp(where);
    REQUIRE((a.ok() && b.ok()));
    CHECK(is_nonblocking(a->get()));
    CHECK(is_cloexec(a->get()));
    const SocketAddress to = *local_address(b->get());
    REQUIRE(::sendto(a->get(), "dgram", 5, 0, to.data(), to.size()) == 5);
    REQUIRE((wait_for(b->get(), POLLIN) & POLLIN));
    SocketAddress from;
    socklen_t len = SocketAddress::capacity();
    char buf[16];
    CHECK(::recvfrom(b->get(), buf, sizeof buf, 0, from.data(), &len) == 5);
    from.set_size(len);
    CHECK(from == *local_address(a->get()));
  }
}

TEST_CASE(
    "BindOptions applies IPV6_V6ONLY before bind so a dual-stack listener takes IPv4 clients and a "
    "v6-only one cannot bind an IPv4-mapped address",
    "[socket]") {
  // ::ffff:127.0.0.1, the IPv4 loopback seen from an IPv6 socket.
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  REQUIRE(::inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr) == 1);
  const SocketAddress mapped(reinterpret_cast<const sockaddr*>(&in6), sizeof in6);

  BindOptions dual;
  dual.v6_only = false;
  auto listener = listen_tcp(mapped, dual);
  REQUIRE(listener.ok());
  CHECK_FALSE(*get_v6_only(listener->get()));
  UniqueFd client = connected_client(loopback_v4(local_address(listener->get())->port()));
  Accepted server = accept_pending(listener->get());
  CHECK(server.peer.family() == AF_INET6);  // the IPv4 peer, as ::ffff:127.0.0.1

  BindOptions only;
  only.v6_only = true;
  auto refused = listen_tcp(mapped, only);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("bind([::ffff:127.0.0.1]:0)"));
}

TEST_CASE(
    "Socket calls on a bad fd or an address not on this machine report the call and the errno "
    "meaning",
    "[socket]") {
  auto local = local_address(-1);
  REQUIRE_FALSE(local.ok());
  CHECK(local.error().code == std::errc::bad_file_descriptor);
  CHECK_THAT(local.error().message,
             Catch::Contains("getsockname on fd -1") && Catch::Contains("Bad file descriptor"));

  auto shut = shutdown_write(-1);
  REQUIRE_FALSE(shut.ok());
  CHECK_THAT(shut.error().message, Catch::Contains("shutdown(SHUT_WR)"));

  auto accepted = accept_one(-1);
  REQUIRE_FALSE(accepted.ok());
  CHECK_THAT(accepted.error().message, Catch::Contains("accept4 on fd -1"));

  // 192.0.2.1 (TEST-NET-1) is not assigned here: bind fails before any packet could leave.
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0xC0000201);
  auto listener = listen_tcp(SocketAddress(reinterpret_cast<const sockaddr*>(&in), sizeof in));
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == std::errc::address_not_available);
  CHECK_THAT(listener.error().message, Catch::Contains("bind(192.0.2.1:0)"));
}
