// Tests for the address parser (actnet/io/address.hpp) and resolution (actnet/io/resolve.hpp):
// gnet's URL forms parse to the expected Endpoint and print back canonically, bad strings are
// refused with a message that names them, and resolved addresses really bind. Only numeric
// loopback addresses and "localhost" are ever resolved or contacted.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <actnet/io/address.hpp>
#include <actnet/io/resolve.hpp>
#include <actnet/io/socket_address.hpp>
#include <actnet/io/unique_fd.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

using actnet::io::Endpoint;
using actnet::io::HostKind;
using actnet::io::Network;
using actnet::io::parse_endpoint;
using actnet::io::resolve;
using actnet::io::ResolveFor;
using actnet::io::SocketAddress;
using actnet::io::UniqueFd;

static_assert(std::is_nothrow_move_constructible_v<Endpoint>);
static_assert(std::is_copy_constructible_v<Endpoint>);

namespace {

constexpr std::size_t kSunPath = sizeof(sockaddr_un::sun_path);

struct Good {
  std::string input;
  Network network;
  std::string host;
  std::uint16_t port;
  std::string path;
  std::string canonical;
};

struct Bad {
  std::string input;
  std::string problem;  // a fragment of the message that says what is wrong
};

// What the message must show of the input: the input itself when it is printable and short
// enough to be quoted whole.
bool printable(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
    if (c == '"' || c == '\\') return false;
  }
  return true;
}

// Binds a socket of the endpoint's type to `address` and gives back what getsockname says.
SocketAddress bind_and_read_back(const Endpoint& e, const SocketAddress& address) {
  UniqueFd fd(::socket(address.family(), e.socket_type() | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  REQUIRE(::bind(fd.get(), address.data(), address.size()) == 0);
  SocketAddress bound;
  socklen_t len = SocketAddress::capacity();
  REQUIRE(::getsockname(fd.get(), bound.data(), &len) == 0);
  bound.set_size(len);
  return bound;
}

Endpoint parsed(const std::string& text) {
  auto r = parse_endpoint(text);
  INFO(text);
  REQUIRE(r.ok());
  return *r;
}

std::vector<SocketAddress> resolved(const std::string& text,
                                    ResolveFor purpose = ResolveFor::bind) {
  auto r = resolve(parsed(text), purpose);
  INFO(text << ": " << (r.ok() ? std::string("ok") : r.error().message));
  REQUIRE(r.ok());
  REQUIRE(!r->empty());
  return *r;
}

}  // namespace

TEST_CASE("gnet address forms parse to the expected endpoint and print back canonically") {
  const std::string max_path = std::string("/").append(kSunPath - 2, 'p');  // 107 bytes + NUL
  const std::string max_abstract = std::string("@").append(kSunPath - 1, 'a');
  const std::vector<Good> table = {
      {"tcp://:9000", Network::tcp, "", 9000, "", "tcp://:9000"},
      {":9000", Network::tcp, "", 9000, "", "tcp://:9000"},
      {"127.0.0.1:9000", Network::tcp, "127.0.0.1", 9000, "", "tcp://127.0.0.1:9000"},
      {"tcp://127.0.0.1:9000", Network::tcp, "127.0.0.1", 9000, "", "tcp://127.0.0.1:9000"},
      {"tcp4://127.0.0.1:0", Network::tcp4, "127.0.0.1", 0, "", "tcp4://127.0.0.1:0"},
      {"tcp4://:80", Network::tcp4, "", 80, "", "tcp4://:80"},
      {"tcp6://[::1]:9000", Network::tcp6, "::1", 9000, "", "tcp6://[::1]:9000"},
      {"tcp://[::]:9000", Network::tcp, "::", 9000, "", "tcp://[::]:9000"},
      {"tcp://[0:0:0:0:0:0:0:1]:80", Network::tcp, "::1", 80, "", "tcp://[::1]:80"},
      {"tcp6://[::FFFF:127.0.0.1]:1", Network::tcp6, "::ffff:127.0.0.1", 1, "",
       "tcp6://[::ffff:127.0.0.1]:1"},
      {"[2001:DB8::1]:443", Network::tcp, "2001:db8::1", 443, "", "tcp://[2001:db8::1]:443"},
      {"tcp://localhost:9000", Network::tcp, "localhost", 9000, "", "tcp://localhost:9000"},
      {"TCP://LocalHost:80", Network::tcp, "localhost", 80, "", "tcp://localhost:80"},
      {"localhost.:1", Network::tcp, "localhost.", 1, "", "tcp://localhost.:1"},
      {"tcp://my-host_1.example.com:8080", Network::tcp, "my-host_1.example.com", 8080, "",
       "tcp://my-host_1.example.com:8080"},
      {"tcp://1.2.3.4a:5", Network::tcp, "1.2.3.4a", 5, "", "tcp://1.2.3.4a:5"},
      {"tcp://:65535", Network::tcp, "", 65535, "", "tcp://:65535"},
      {"tcp://:00080", Network::tcp, "", 80, "", "tcp://:80"},
      {"udp://:53", Network::udp, "", 53, "", "udp://:53"},
      {"udp4://0.0.0.0:53", Network::udp4, "0.0.0.0", 53, "", "udp4://0.0.0.0:53"},
      {"udp6://[::]:53", Network::udp6, "::", 53, "", "udp6://[::]:53"},
      {"Udp6://[::1]:0", Network::udp6, "::1", 0, "", "udp6://[::1]:0"},
      {"unix:///run/app.sock", Network::unix_stream, "", 0, "/run/app.sock",
       "unix:///run/app.sock"},
      {"unix://relative.sock", Network::unix_stream, "", 0, "relative.sock",
       "unix://relative.sock"},
      {"unix://@name", Network::unix_stream, "", 0, "@name", "unix://@name"},
      {"unix://./@x", Network::unix_stream, "", 0, "./@x", "unix://./@x"},
      {"UNIX:///tmp/With Space?#.sock", Network::unix_stream, "", 0, "/tmp/With Space?#.sock",
       "unix:///tmp/With Space?#.sock"},
      {"unix://" + max_path, Network::unix_stream, "", 0, max_path, "unix://" + max_path},
      {"unix://" + max_abstract, Network::unix_stream, "", 0, max_abstract,
       "unix://" + max_abstract},
  };
  for (const Good& g : table) {
    INFO("input: " << g.input);
    auto r = parse_endpoint(g.input);
    INFO((r.ok() ? std::string("ok") : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->network == g.network);
    CHECK(r->host == g.host);
    CHECK(r->port == g.port);
    CHECK(r->path == g.path);
    CHECK(r->to_string() == g.canonical);
    auto again = parse_endpoint(r->to_string());
    REQUIRE(again.ok());
    CHECK(*again == *r);
  }
}

TEST_CASE("bad addresses are refused with a message that names the input and the problem") {
  const std::vector<Bad> table = {
      {"", "empty"},
      {"http://x:1", "unknown scheme \"http\""},
      {"tcp7://:1", "unknown scheme \"tcp7\""},
      {"://:1", "empty scheme"},
      {"tcp:/x:1", "must be followed by \"://\""},
      {"unix:/tmp/x", "must be followed by \"://\""},
      {"tcp://", "missing host and port"},
      {"udp6://", "missing host and port"},
      {"tcp://localhost", "missing port; write \"localhost:0\""},
      {"127.0.0.1", "missing port"},
      {"tcp://:", "empty port"},
      {"tcp://:65536", "\"65536\" is out of range 0-65535"},
      {"tcp://:99999999999999999999999", "out of range"},
      {"tcp://:-1", "\"-1\" is not a decimal number"},
      {"tcp://:+80", "\"+80\" is not a decimal number"},
      {"tcp://: 80", "\" 80\" is not a decimal number"},
      {"tcp://:http", "\"http\" is not a decimal number"},
      {"tcp://:0x50", "\"0x50\" is not a decimal number"},
      {"tcp://[::1]:80x", "\"80x\" is not a decimal number"},
      {"tcp://:80 ", "leading or trailing space"},
      {" tcp://:80", "leading or trailing space"},
      {"tcp://[::1:80", "\"[\" without a closing \"]\""},
      {"tcp://[]:80", "empty IPv6 literal"},
      {"tcp://::1:80", "must be in brackets"},
      {"::1", "must be in brackets"},
      {"tcp://host:80:90", "too many \":\""},
      {"tcp://[::1]", "missing port after \"]\""},
      {"tcp://[::1]x:80", "unexpected \"x:80\" after \"]\""},
      {"tcp://::1]:80", "\"]\" without an opening \"[\""},
      {"tcp://a[b]:80", "\"[\" may only open the host"},
      {"tcp://[fe80::1%lo]:80", "zone id \"%lo\" is not supported"},
      {"tcp://[127.0.0.1]:80", "\"127.0.0.1\" is not a valid IPv6 address"},
      {"tcp://[::g]:80", "\"::g\" is not a valid IPv6 address"},
      {"tcp4://[::1]:80", "tcp4 needs an IPv4 address"},
      {"udp4://[::]:53", "udp4 needs an IPv4 address"},
      {"tcp6://127.0.0.1:80", "tcp6 needs an IPv6 address"},
      {"udp6://0.0.0.0:53", "udp6 needs an IPv6 address"},
      {"tcp://256.0.0.1:80", "\"256.0.0.1\" is not a valid IPv4 address"},
      {"tcp://127.1:80", "\"127.1\" is not a valid IPv4 address"},
      {"tcp://0x7f.0.0.1:80", "\"0x7f.0.0.1\" is not a valid IPv4 address"},
      {"tcp://01.2.3.4:80", "\"01.2.3.4\" is not a valid IPv4 address"},
      {"tcp://a..b:80", "empty label"},
      {"tcp://.a:80", "empty label"},
      {"tcp://.:80", "empty label"},
      {"tcp://exa mple:80", "contains \" \""},
      {"tcp://ex!ample:80", "contains \"!\""},
      {std::string("tcp://").append(64, 'l').append(":80"), "label longer than 63"},
      {std::string("tcp://").append(254, 'h').append(":80"), "254 bytes long"},
      {"unix://", "empty unix socket path"},
      {"unix://@", "empty abstract unix socket name"},
      {std::string("unix:///").append(kSunPath - 1, 'p'), "is 108 bytes long; at most 107"},
      {std::string("unix://@").append(kSunPath, 'a'), "name is 108 bytes long; at most 107"},
      {"unix:///run/", "names a directory"},
      {std::string("tcp://a\0b:80", 12), "control character \"\\x00\" at byte 7"},
      {"tcp://a\nb:80", "control character \"\\x0a\""},
      {"unix:///tmp/a\tb", "control character \"\\x09\""},
      {"tcp://a\x7f:80", "control character \"\\x7f\""},
      {"tcp://:80/x", "a tcp address cannot carry a path \"/x\""},
      {"udp://:53/x", "a udp address cannot carry a path \"/x\""},
      {"tcp://:80/", "cannot carry a path \"/\""},
      {"tcp://user@host:80", "user-info \"user@\" is not supported"},
      {"tcp://user:pw@host:80", "user-info \"user:pw@\""},
      {"tcp://:80?x=1", "query strings are not supported: \"?x=1\""},
      {"tcp://:80#frag", "fragments are not supported: \"#frag\""},
      {"tcp://h\xc3\xa9:80", "contains \"\\xc3\""},
  };
  REQUIRE(table.size() >= 30);
  for (const Bad& b : table) {
    INFO("input: " << b.input);
    auto r = parse_endpoint(b.input);
    REQUIRE_FALSE(r.ok());
    const std::string& message = r.error().message;
    INFO("message: " << message);
    CHECK(r.error().code == std::errc::invalid_argument);
    CHECK(message.find(b.problem) != std::string::npos);
    if (printable(b.input)) {
      CHECK(message.find(std::string("\"").append(b.input, 0, 200)) != std::string::npos);
    }
  }
}

TEST_CASE("messages about huge binary inputs stay short and printable") {
  for (const std::string& input :
       {std::string(5000, '\xff'), std::string("tcp://").append(5000, '\xfe'),
        std::string(5000, 'h'), std::string("tcp://[").append(5000, ':').append("]:1")}) {
    auto r = parse_endpoint(input);
    REQUIRE_FALSE(r.ok());
    const std::string& message = r.error().message;
    INFO(message);
    CHECK(message.size() < 2048);
    const std::string size =
        std::string("(").append(std::to_string(input.size())).append(" bytes)");
    CHECK(message.find(size) != std::string::npos);
    for (char c : message) {
      REQUIRE(static_cast<unsigned char>(c) >= 0x20);
      REQUIRE(static_cast<unsigned char>(c) < 0x7f);
    }
  }
}

TEST_CASE("endpoint helpers report stream or datagram, family and host kind") {
  const Endpoint tcp = parsed("tcp://localhost:1");
  CHECK(tcp.is_stream());
  CHECK_FALSE(tcp.is_datagram());
  CHECK_FALSE(tcp.is_unix());
  CHECK(tcp.socket_type() == SOCK_STREAM);
  CHECK(tcp.family_hint() == AF_UNSPEC);
  CHECK(tcp.host_kind() == HostKind::name);

  CHECK(parsed("tcp://127.0.0.1:1").family_hint() == AF_INET);
  CHECK(parsed("tcp://127.0.0.1:1").host_kind() == HostKind::ipv4);
  CHECK(parsed("tcp://[::1]:1").family_hint() == AF_INET6);
  CHECK(parsed("tcp://[::1]:1").host_kind() == HostKind::ipv6);
  CHECK(parsed("tcp4://localhost:1").family_hint() == AF_INET);
  CHECK(parsed("tcp6://localhost:1").family_hint() == AF_INET6);
  CHECK(parsed(":1").host_kind() == HostKind::wildcard);

  const Endpoint udp = parsed("udp6://[::1]:53");
  CHECK(udp.is_datagram());
  CHECK_FALSE(udp.is_stream());
  CHECK(udp.socket_type() == SOCK_DGRAM);
  CHECK(udp.family_hint() == AF_INET6);

  const Endpoint un = parsed("unix://@abstract");
  CHECK(un.is_unix());
  CHECK(un.is_stream());
  CHECK(un.is_abstract());
  CHECK(un.family_hint() == AF_UNIX);
  CHECK(un.host_kind() == HostKind::none);
  CHECK_FALSE(parsed("unix://./@x").is_abstract());
}

TEST_CASE("numeric loopback hosts resolve to exactly that address without a lookup") {
  auto v4 = resolved("tcp://127.0.0.1:8080");
  REQUIRE(v4.size() == 1);
  CHECK(v4[0].family() == AF_INET);
  CHECK(v4[0].to_string() == "127.0.0.1:8080");

  auto v6 = resolved("udp6://[::1]:53");
  REQUIRE(v6.size() == 1);
  CHECK(v6[0].family() == AF_INET6);
  CHECK(v6[0].to_string() == "[::1]:53");
  CHECK(v6[0].size() == sizeof(sockaddr_in6));

  auto mapped = resolved("tcp6://[::ffff:127.0.0.1]:1");
  CHECK(mapped[0].to_string() == "[::ffff:127.0.0.1]:1");
}

TEST_CASE("localhost resolves through getaddrinfo to loopback addresses of the asked family") {
  auto v4 = resolved("tcp4://localhost:7");
  for (const SocketAddress& a : v4)
    CHECK(a.family() == AF_INET);
  CHECK(std::find(v4.begin(), v4.end(), resolved("tcp://127.0.0.1:7")[0]) != v4.end());

  auto any = resolved("udp://localhost:7");
  for (const SocketAddress& a : any) {
    INFO(a.to_string());
    const bool loopback = a.to_string().rfind("127.", 0) == 0 || a.to_string() == "[::1]:7";
    CHECK(loopback);
  }
}

TEST_CASE("an empty host resolves to the wildcard of its network for bind") {
  CHECK(resolved("tcp4://:80")[0].to_string() == "0.0.0.0:80");
  CHECK(resolved("udp4://:80")[0].to_string() == "0.0.0.0:80");
  CHECK(resolved("tcp6://:80")[0].to_string() == "[::]:80");
  CHECK(resolved("udp6://:80")[0].to_string() == "[::]:80");
  const std::string dual = actnet::io::ipv6_supported() ? "[::]:80" : "0.0.0.0:80";
  for (const char* text : {"tcp://:80", "udp://:80", ":80"}) {
    auto all = resolved(text);
    REQUIRE(all.size() == 1);
    CHECK(all[0].to_string() == dual);
  }
}

TEST_CASE("an empty host resolves to this machine's loopback for connect") {
  CHECK(resolved("tcp4://:80", ResolveFor::connect)[0].to_string() == "127.0.0.1:80");
  CHECK(resolved("udp6://:80", ResolveFor::connect)[0].to_string() == "[::1]:80");
  auto both = resolved("tcp://:80", ResolveFor::connect);
  CHECK(both[0].to_string() == "127.0.0.1:80");
  CHECK(both.size() == (actnet::io::ipv6_supported() ? 2u : 1u));
}

TEST_CASE("unix paths resolve to sockaddr_un with the right length") {
  auto path = resolved("unix:///run/app.sock");
  REQUIRE(path.size() == 1);
  CHECK(path[0].family() == AF_UNIX);
  CHECK(path[0].to_string() == "/run/app.sock");
  CHECK(path[0].size() == offsetof(sockaddr_un, sun_path) + sizeof("/run/app.sock"));

  auto abstract = resolved("unix://@actnet-name");
  CHECK(abstract[0].to_string() == "@actnet-name");
  CHECK(abstract[0].size() == offsetof(sockaddr_un, sun_path) + 1 + sizeof("actnet-name") - 1);
}

TEST_CASE("resolve refuses a hand-built endpoint that the parser would refuse") {
  Endpoint v6_in_tcp4;
  v6_in_tcp4.network = Network::tcp4;
  v6_in_tcp4.host = "::1";
  v6_in_tcp4.port = 80;
  auto r = resolve(v6_in_tcp4);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == std::errc::invalid_argument);
  CHECK(r.error().message.find("tcp4 needs an IPv4 address") != std::string::npos);

  Endpoint unix_with_port;
  unix_with_port.network = Network::unix_stream;
  unix_with_port.path = "/tmp/x.sock";
  unix_with_port.port = 80;
  CHECK_FALSE(resolve(unix_with_port).ok());

  Endpoint tcp_with_path;
  tcp_with_path.path = "/tmp/x.sock";
  CHECK_FALSE(resolve(tcp_with_path).ok());

  Endpoint empty_unix;
  empty_unix.network = Network::unix_stream;
  CHECK_FALSE(resolve(empty_unix).ok());
}

TEST_CASE("resolved loopback addresses bind and the kernel picks a port for port 0") {
  for (const char* text :
       {"tcp://127.0.0.1:0", "udp4://127.0.0.1:0", "tcp6://[::1]:0", "udp://[::1]:0"}) {
    INFO(text);
    const Endpoint e = parsed(text);
    if (e.family_hint() == AF_INET6 && !actnet::io::ipv6_supported()) {
      WARN("IPv6 unsupported here; skipping " << text);
      continue;
    }
    const SocketAddress bound = bind_and_read_back(e, resolved(text)[0]);
    CHECK(bound.family() == e.family_hint());
    CHECK(bound.port() != 0);
  }
}

TEST_CASE("the plain tcp wildcard accepts IPv4 loopback connections") {
  const Endpoint e = parsed("tcp://:0");
  const SocketAddress wildcard = resolved("tcp://:0")[0];
  UniqueFd listener(::socket(wildcard.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(listener.valid());
  if (wildcard.family() == AF_INET6) {
    const int off = 0;  // dual stack, whatever net.ipv6.bindv6only says
    REQUIRE(::setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0);
  }
  REQUIRE(::bind(listener.get(), wildcard.data(), wildcard.size()) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);
  SocketAddress bound;
  socklen_t len = SocketAddress::capacity();
  REQUIRE(::getsockname(listener.get(), bound.data(), &len) == 0);
  bound.set_size(len);

  Endpoint loopback = parsed("tcp4://127.0.0.1:0");
  loopback.port = bound.port();
  const SocketAddress target = resolved(loopback.to_string())[0];
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(client.valid());
  CHECK(::connect(client.get(), target.data(), target.size()) == 0);
  CHECK(e.socket_type() == SOCK_STREAM);
}

TEST_CASE("resolved unix paths and abstract names bind") {
  char dir[] = "/tmp/actnet-address-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/s.sock";
  {
    const Endpoint e = parsed("unix://" + path);
    const SocketAddress bound = bind_and_read_back(e, resolved(e.to_string())[0]);
    CHECK(bound.to_string() == path);
  }
  CHECK(::unlink(path.c_str()) == 0);
  CHECK(::rmdir(dir) == 0);

  const std::string name = std::string("@actnet-address-test-").append(std::to_string(::getpid()));
  const Endpoint abstract = parsed("unix://" + name);
  const SocketAddress bound = bind_and_read_back(abstract, resolved(abstract.to_string())[0]);
  CHECK(bound.to_string() == name);
}

TEST_CASE("mutated addresses either parse to an endpoint that round-trips or fail cleanly") {
  // ACTNET_TEST_SEED=<n> replays a failing run.
  const char* fixed = std::getenv("ACTNET_TEST_SEED");
  const std::uint64_t seed = fixed ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
  std::printf("address mutation seed: %llu\n", static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::vector<std::string> seeds = {
      "tcp://127.0.0.1:9000", "tcp6://[::1]:80", "udp://localhost:53",
      "unix:///run/app.sock", "unix://@x",       ":0"};
  const std::string alphabet = std::string(":/[]@.%?#0123456789abcfx -").append("\0\x7f\xff", 3);
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, c);
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          if (at < s.size()) s[at] = c;
      }
    }
    INFO("input: " << s);
    auto r = parse_endpoint(s);
    if (!r.ok()) {
      REQUIRE(r.error().code == std::errc::invalid_argument);
      REQUIRE_FALSE(r.error().message.empty());
      continue;
    }
    auto again = parse_endpoint(r->to_string());
    REQUIRE(again.ok());
    REQUIRE(*again == *r);
    if (r->is_unix()) REQUIRE(r->path.size() < kSunPath + (r->is_abstract() ? 1 : 0));
  }
}
