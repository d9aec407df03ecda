#include "actnet/io/socket_options.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/io/socket.hpp"
#include "actnet/io/tcp_options.hpp"
#include "io/loopback.hpp"

using namespace actnet::io;
using namespace std::chrono_literals;

namespace {

UniqueFd tcp_socket(int family) {
  auto fd = open_socket(family, SOCK_STREAM);
  REQUIRE(fd.ok());
  return std::move(*fd);
}

UniqueFd udp_socket(int family) {
  auto fd = open_socket(family, SOCK_DGRAM);
  REQUIRE(fd.ok());
  return std::move(*fd);
}

SocketAddress group_v4(const char* text) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  REQUIRE(::inet_pton(AF_INET, text, &in.sin_addr) == 1);
  return {reinterpret_cast<const sockaddr*>(&in), sizeof in};
}

SocketAddress group_v6(const char* text) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  REQUIRE(::inet_pton(AF_INET6, text, &in6.sin6_addr) == 1);
  return {reinterpret_cast<const sockaddr*>(&in6), sizeof in6};
}

}  // namespace

TEST_CASE("Boolean socket options read back what was set on TCP sockets of both families",
          "[socket_options]") {
  const int family = GENERATE(AF_INET, AF_INET6);
  const bool on = GENERATE(true, false);
  CAPTURE(family, on);
  UniqueFd fd = tcp_socket(family);

  REQUIRE(set_reuse_addr(fd.get(), on).ok());
  CHECK(*get_reuse_addr(fd.get()) == on);
  REQUIRE(set_reuse_port(fd.get(), on).ok());
  CHECK(*get_reuse_port(fd.get()) == on);
  REQUIRE(set_tcp_no_delay(fd.get(), on).ok());
  CHECK(*get_tcp_no_delay(fd.get()) == on);
  REQUIRE(set_keep_alive(fd.get(), on).ok());
  CHECK(*get_keep_alive(fd.get()) == on);
  if (family == AF_INET6) {
    REQUIRE(set_v6_only(fd.get(), on).ok());
    CHECK(*get_v6_only(fd.get()) == on);
  }
}

TEST_CASE("Keepalive timings, buffer sizes and linger read back on TCP sockets of both families",
          "[socket_options]") {
  const int family = GENERATE(AF_INET, AF_INET6);
  CAPTURE(family);
  UniqueFd fd = tcp_socket(family);

  const KeepAlive params{37s, 11s, 4};
  REQUIRE(set_keep_alive(fd.get(), params).ok());
  CHECK(*get_keep_alive(fd.get()));
  CHECK(*get_keep_alive_params(fd.get()) == params);

  // Linux doubles the requested size for its bookkeeping.
  REQUIRE(set_recv_buffer(fd.get(), 32 * 1024).ok());
  CHECK(*get_recv_buffer(fd.get()) >= 32 * 1024);
  REQUIRE(set_send_buffer(fd.get(), 48 * 1024).ok());
  CHECK(*get_send_buffer(fd.get()) >= 48 * 1024);

  REQUIRE(set_linger(fd.get(), Linger{true, 7s}).ok());
  CHECK(*get_linger(fd.get()) == Linger{true, 7s});
  REQUIRE(set_linger(fd.get(), Linger{false, 0s}).ok());
  CHECK_FALSE(get_linger(fd.get())->on);
}

TEST_CASE(
    "SO_BINDTODEVICE binds to lo and reads it back or is refused with EPERM without CAP_NET_RAW",
    "[socket_options]") {
  UniqueFd fd = tcp_socket(AF_INET);
  auto bound = bind_to_device(fd.get(), "lo");
  if (!bound) {
    // Documented outcome for an unprivileged run.
    CHECK(bound.error().code == std::errc::operation_not_permitted);
    CHECK_THAT(bound.error().message, Catch::Contains("SO_BINDTODEVICE"));
    return;
  }
  CHECK(*get_bound_device(fd.get()) == "lo");
  REQUIRE(bind_to_device(fd.get(), "").ok());
  CHECK(*get_bound_device(fd.get()) == "");

  auto missing = bind_to_device(fd.get(), "actnet-none0");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == std::errc::no_such_device);
  CHECK_THAT(missing.error().message,
             Catch::Contains("SO_BINDTODEVICE=actnet-none0") && Catch::Contains("No such device"));

  auto too_long = bind_to_device(fd.get(), "an-interface-name-longer-than-ifnamsiz");
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == std::errc::invalid_argument);
}

TEST_CASE("Every option setter and getter on an invalid fd names its option and the errno meaning",
          "[socket_options]") {
  const int bad = -1;
  const std::vector<std::pair<const char*, std::function<actnet::Error()>>> calls = {
      {"SO_REUSEADDR", [] { return set_reuse_addr(bad, true).error(); }},
      {"SO_REUSEPORT", [] { return set_reuse_port(bad, true).error(); }},
      {"TCP_NODELAY", [] { return set_tcp_no_delay(bad, true).error(); }},
      {"SO_KEEPALIVE", [] { return set_keep_alive(bad, true).error(); }},
      {"SO_KEEPALIVE", [] { return set_keep_alive(bad, KeepAlive{}).error(); }},
      {"SO_RCVBUF", [] { return set_recv_buffer(bad, 4096).error(); }},
      {"SO_SNDBUF", [] { return set_send_buffer(bad, 4096).error(); }},
      {"SO_LINGER",
       [] {
         return set_linger(bad, Linger{true, 1s}).error();
       }},
      {"SO_BINDTODEVICE", [] { return bind_to_device(bad, "lo").error(); }},
      {"IPV6_V6ONLY", [] { return set_v6_only(bad, true).error(); }},
      {"IP_ADD_MEMBERSHIP",
       [] { return join_multicast_group(bad, group_v4("239.255.0.1"), 1).error(); }},
      {"IPV6_JOIN_GROUP", [] { return join_multicast_group(bad, group_v6("ff15::1"), 1).error(); }},
      {"SO_REUSEADDR", [] { return get_reuse_addr(bad).error(); }},
      {"SO_REUSEPORT", [] { return get_reuse_port(bad).error(); }},
      {"TCP_NODELAY", [] { return get_tcp_no_delay(bad).error(); }},
      {"SO_KEEPALIVE", [] { return get_keep_alive(bad).error(); }},
      {"TCP_KEEPIDLE", [] { return get_keep_alive_params(bad).error(); }},
      {"SO_RCVBUF", [] { return get_recv_buffer(bad).error(); }},
      {"SO_SNDBUF", [] { return get_send_buffer(bad).error(); }},
      {"SO_LINGER", [] { return get_linger(bad).error(); }},
      {"SO_BINDTODEVICE", [] { return get_bound_device(bad).error(); }},
      {"IPV6_V6ONLY", [] { return get_v6_only(bad).error(); }},
  };
  for (const auto& [option, call] : calls) {
    CAPTURE(option);
    const actnet::Error error = call();
    CHECK(error.code == std::errc::bad_file_descriptor);
    CHECK_THAT(error.message, Catch::Contains(option) && Catch::Contains("on fd -1") &&
                                  Catch::Contains("Bad file descriptor"));
  }
}

TEST_CASE("Options that do not fit the socket are refused with the option name and errno meaning",
          "[socket_options]") {
  UniqueFd udp = udp_socket(AF_INET);
  auto no_delay = set_tcp_no_delay(udp.get(), true);
  REQUIRE_FALSE(no_delay.ok());
  CHECK(no_delay.error().code == std::errc::no_protocol_option);
  CHECK_THAT(no_delay.error().message, Catch::Contains("setsockopt(TCP_NODELAY)") &&
                                           Catch::Contains("Protocol not available"));

  UniqueFd v4 = tcp_socket(AF_INET);
  auto v6only = set_v6_only(v4.get(), true);
  REQUIRE_FALSE(v6only.ok());
  CHECK_THAT(v6only.error().message, Catch::Contains("IPV6_V6ONLY"));

  auto negative = set_keep_alive(v4.get(), KeepAlive{-1s, 1s, 1});
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().code == std::errc::invalid_argument);
  CHECK_THAT(negative.error().message, Catch::Contains("TCP_KEEPIDLE"));
}

TEST_CASE(
    "Joining a multicast group on lo takes effect for IPv4 and IPv6 and a bad interface is refused",
    "[socket_options]") {
  auto lo = interface_index("lo");
  REQUIRE(lo.ok());
  const bool v6 = GENERATE(false, true);
  CAPTURE(v6);
  UniqueFd fd = udp_socket(v6 ? AF_INET6 : AF_INET);
  const SocketAddress group = v6 ? group_v6("ff15::7701") : group_v4("239.255.77.1");
  const char* join_name = v6 ? "IPV6_JOIN_GROUP" : "IP_ADD_MEMBERSHIP";

  REQUIRE(join_multicast_group(fd.get(), group, *lo).ok());
  // The membership exists: the kernel refuses a second one for the same group and interface.
  auto again = join_multicast_group(fd.get(), group, *lo);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == std::errc::address_in_use);
  CHECK_THAT(again.error().message, Catch::Contains(join_name));
  // After leaving, joining works again.
  REQUIRE(leave_multicast_group(fd.get(), group, *lo).ok());
  REQUIRE(join_multicast_group(fd.get(), group, *lo).ok());

  auto bad = join_multicast_group(fd.get(), group, 999'999);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == std::errc::no_such_device);
  CHECK_THAT(bad.error().message, Catch::Contains(join_name) && Catch::Contains("No such device"));
}

TEST_CASE("A multicast group that is not an IP address and an unknown interface name are refused",
          "[socket_options]") {
  UniqueFd fd = udp_socket(AF_INET);
  auto unspec = join_multicast_group(fd.get(), SocketAddress(), 1);
  REQUIRE_FALSE(unspec.ok());
  CHECK(unspec.error().code == std::errc::address_family_not_supported);

  auto missing = interface_index("actnet-none0");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("if_nametoindex(actnet-none0)"));
}

TEST_CASE("apply_tcp_options turns TCP_NODELAY on by default and applies the optional settings",
          "[socket_options]") {
  UniqueFd fd = tcp_socket(AF_INET);
  REQUIRE_FALSE(*get_tcp_no_delay(fd.get()));  // the kernel's default is Nagle on
  REQUIRE(apply_tcp_options(fd.get(), TcpOptions{}).ok());
  CHECK(*get_tcp_no_delay(fd.get()));
  CHECK_FALSE(*get_keep_alive(fd.get()));

  TcpOptions options;
  options.no_delay = false;
  options.keep_alive = KeepAlive{20s, 5s, 3};
  options.recv_buffer = 64 * 1024;
  options.linger = Linger{true, 0s};
  REQUIRE(apply_tcp_options(fd.get(), options).ok());
  CHECK_FALSE(*get_tcp_no_delay(fd.get()));
  CHECK(*get_keep_alive_params(fd.get()) == *options.keep_alive);
  CHECK(*get_recv_buffer(fd.get()) >= 64 * 1024);
  CHECK(*get_linger(fd.get()) == Linger{true, 0s});

  UniqueFd udp = udp_socket(AF_INET);
  auto refused = apply_tcp_options(udp.get(), TcpOptions{});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("TCP_NODELAY"));
}
