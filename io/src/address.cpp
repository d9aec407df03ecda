#include "actnet/io/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <system_error>
#include <utility>

namespace actnet::io {

namespace {

// Room in sun_path for a filesystem path: the kernel wants it NUL-terminated. An abstract
// name has a leading NUL instead, so it gets the same number of bytes.
constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;
constexpr std::size_t kMaxHostName = 253;
constexpr std::size_t kMaxLabel = 63;
// Longer inputs are cut in messages so that one bad line in a config file cannot produce a
// megabyte of log.
constexpr std::size_t kMaxQuoted = 200;

struct Scheme {
  std::string_view name;
  Network network;
};
constexpr std::array<Scheme, 7> kSchemes{{{"tcp", Network::tcp},
                                          {"tcp4", Network::tcp4},
                                          {"tcp6", Network::tcp6},
                                          {"udp", Network::udp},
                                          {"udp4", Network::udp4},
                                          {"udp6", Network::udp6},
                                          {"unix", Network::unix_stream}}};

// Locale-free character classes: the input may hold any byte, and <cctype> is undefined
// for negative chars.
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_control(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == y; });
}

std::optional<Network> scheme_network(std::string_view name) {
  for (const Scheme& s : kSchemes) {
    if (iequals(name, s.name)) return s.network;
  }
  return std::nullopt;
}

// Builds the message by appending: `"literal" + std::string&&` trips GCC 12's -Wrestrict
// false positive at -O3, and appending is cheaper anyway.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts)
    out += part;
  return out;
}

// The input in double quotes, printable ASCII as is and every other byte as \xNN, so a
// message can always be logged and shows exactly what was refused.
std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text.substr(0, kMaxQuoted)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  if (text.size() > kMaxQuoted) out += cat({"... (", std::to_string(text.size()), " bytes)"});
  return out;
}

Error invalid(std::string_view input, std::initializer_list<std::string_view> what) {
  std::string message = cat({"address ", quote(input), ": "});
  message += cat(what);
  return Error(std::make_error_code(std::errc::invalid_argument), std::move(message));
}

Result<std::uint16_t> parse_port(std::string_view input, std::string_view text) {
  if (text.empty()) return invalid(input, {"empty port after ':' (use 0 to let the kernel pick)"});
  std::uint32_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) {
      return invalid(input, {"port ", quote(text), " is not a decimal number 0-65535"});
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value > 65535) return invalid(input, {"port ", quote(text), " is out of range 0-65535"});
  }
  return static_cast<std::uint16_t>(value);
}

// `inside` is what stood between the brackets; gives back inet_ntop's canonical spelling.
Result<std::string> parse_ipv6(std::string_view input, std::string_view inside) {
  if (inside.empty()) return invalid(input, {"empty IPv6 literal \"[]\""});
  if (const auto zone = inside.find('%'); zone != std::string_view::npos) {
    return invalid(input, {"IPv6 zone id ", quote(inside.substr(zone)), " is not supported"});
  }
  in6_addr addr{};
  char text[INET6_ADDRSTRLEN] = {};
  if (inside.size() >= sizeof text ||
      inet_pton(AF_INET6, std::string(inside).c_str(), &addr) != 1) {
    return invalid(input, {quote(inside), " is not a valid IPv6 address"});
  }
  inet_ntop(AF_INET6, &addr, text, sizeof text);
  return std::string(text);
}

Result<std::string> parse_ipv4(std::string_view input, std::string_view host) {
  in_addr addr{};
  char text[INET_ADDRSTRLEN] = {};
  if (host.size() >= sizeof text || inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1) {
    return invalid(input, {quote(host),
                           " is not a valid IPv4 address (four decimal numbers 0-255, "
                           "no leading zeros)"});
  }
  inet_ntop(AF_INET, &addr, text, sizeof text);
  return std::string(text);
}

// A name whose last label is a number (or 0x-hex) is what inet_aton would read as an IPv4
// address ("127.1", "0x7f.1"); such hosts must be real dotted quads, never guessed at.
bool looks_numeric(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::string_view last = host.substr(host.rfind('.') + 1);  // npos + 1 == 0
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), is_digit)) return true;
  return last.size() > 2 && last[0] == '0' && lower(last[1]) == 'x' &&
         std::all_of(last.begin() + 2, last.end(), is_hex);
}

Result<std::string> parse_host_name(std::string_view input, std::string_view host) {
  std::string_view body = host;
  if (body.back() == '.') body.remove_suffix(1);  // a fully qualified "localhost."
  if (body.size() > kMaxHostName) {
    return invalid(input, {"host name is ", std::to_string(body.size()), " bytes long (at most ",
                           std::to_string(kMaxHostName), ")"});
  }
  std::size_t label = 0;
  for (char c : body) {
    if (c == '.') {
      if (label == 0) return invalid(input, {"host ", quote(host), " has an empty label"});
      label = 0;
    } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
      if (++label > kMaxLabel) {
        return invalid(input, {"host ", quote(host), " has a label longer than 63 bytes"});
      }
    } else {
      return invalid(input, {"host ", quote(host), " contains ", quote(std::string_view(&c, 1)),
                             ", which is not allowed in a host name"});
    }
  }
  if (label == 0) return invalid(input, {"host ", quote(host), " has an empty label"});
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool wants_ipv4(Network n) {
  return n == Network::tcp4 || n == Network::udp4;
}
bool wants_ipv6(Network n) {
  return n == Network::tcp6 || n == Network::udp6;
}

// `auth` is everything after "scheme://": host ":" port, with the host maybe bracketed.
Result<Endpoint> parse_inet(std::string_view input, Network network, std::string_view auth) {
  const std::string scheme(network_name(network));
  if (const auto at = auth.find('@'); at != std::string_view::npos) {
    return invalid(input, {"user-info ", quote(auth.substr(0, at + 1)), " is not supported"});
  }
  if (const auto p = auth.find_first_of("/?#"); p != std::string_view::npos) {
    const std::string rest = quote(auth.substr(p));
    if (auth[p] == '/')
      return invalid(input, {"a ", scheme, " address cannot carry a path ", rest});
    if (auth[p] == '?') return invalid(input, {"query strings are not supported: ", rest});
    return invalid(input, {"fragments are not supported: ", rest});
  }
  if (auth.empty()) return invalid(input, {"missing host and port (e.g. \":9000\")"});

  std::string_view host, port;
  bool bracketed = false;
  if (auth[0] == '[') {
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return invalid(input, {"\"[\" without a closing \"]\""});
    host = auth.substr(1, close - 1);
    bracketed = true;
    const std::string_view rest = auth.substr(close + 1);
    if (rest.empty()) return invalid(input, {"missing port after \"]\" (e.g. \"[::1]:9000\")"});
    if (rest[0] != ':') {
      return invalid(input, {"unexpected ", quote(rest), " after \"]\"; expected \":port\""});
    }
    port = rest.substr(1);
  } else {
    if (auth.find('[') != std::string_view::npos) {
      return invalid(input, {"\"[\" may only open the host, as in \"[::1]:9000\""});
    }
    if (auth.find(']') != std::string_view::npos) {
      return invalid(input, {"\"]\" without an opening \"[\""});
    }
    const auto colons = std::count(auth.begin(), auth.end(), ':');
    if (colons == 0) {
      return invalid(
          input, {"missing port; write ", quote(cat({auth, ":0"})), " to let the kernel pick one"});
    }
    if (colons > 1) {
      return invalid(input, {"too many \":\"; an IPv6 address must be in brackets before its "
                             "port, as in \"[::1]:9000\""});
    }
    const auto colon = auth.find(':');
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
  }

  Endpoint e;
  e.network = network;
  auto port_value = parse_port(input, port);
  if (!port_value) return port_value.error();
  e.port = *port_value;

  if (bracketed) {
    auto v6 = parse_ipv6(input, host);
    if (!v6) return v6.error();
    if (wants_ipv4(network)) {
      return invalid(input, {scheme, " needs an IPv4 address, not the IPv6 ", quote(host)});
    }
    e.host = std::move(*v6);
  } else if (!host.empty()) {
    const bool numeric = looks_numeric(host);
    auto name = numeric ? parse_ipv4(input, host) : parse_host_name(input, host);
    if (!name) return name.error();
    if (numeric && wants_ipv6(network)) {
      return invalid(input, {scheme, " needs an IPv6 address, not the IPv4 ", quote(host)});
    }
    e.host = std::move(*name);
  }
  return e;
}

Result<Endpoint> parse_unix(std::string_view input, std::string_view path) {
  Endpoint e;
  e.network = Network::unix_stream;
  if (path.empty()) return invalid(input, {"empty unix socket path"});
  if (path[0] == '@') {
    const std::size_t n = path.size() - 1;
    if (n == 0) return invalid(input, {"empty abstract unix socket name after \"@\""});
    if (n > kMaxUnixPath) {
      return invalid(input, {"abstract unix socket name is ", std::to_string(n),
                             " bytes long; at most ", std::to_string(kMaxUnixPath), " fit"});
    }
  } else {
    if (path.size() > kMaxUnixPath) {
      return invalid(input,
                     {"unix socket path is ", std::to_string(path.size()), " bytes long; at most ",
                      std::to_string(kMaxUnixPath), " fit in sun_path with its NUL"});
    }
    if (path.back() == '/') {
      return invalid(input, {"unix socket path ", quote(path), " names a directory"});
    }
  }
  e.path = std::string(path);
  return e;
}

}  // namespace

std::string_view network_name(Network network) noexcept {
  for (const Scheme& s : kSchemes) {
    if (s.network == network) return s.name;
  }
  return "?";
}

bool Endpoint::is_stream() const noexcept {
  return network == Network::tcp || network == Network::tcp4 || network == Network::tcp6 ||
         network == Network::unix_stream;
}

bool Endpoint::is_datagram() const noexcept {
  return network == Network::udp || network == Network::udp4 || network == Network::udp6;
}

int Endpoint::family_hint() const noexcept {
  if (is_unix()) return AF_UNIX;
  if (wants_ipv4(network)) return AF_INET;
  if (wants_ipv6(network)) return AF_INET6;
  switch (host_kind()) {
    case HostKind::ipv4:
      return AF_INET;
    case HostKind::ipv6:
      return AF_INET6;
    default:
      return AF_UNSPEC;
  }
}

int Endpoint::socket_type() const noexcept {
  return is_datagram() ? SOCK_DGRAM : SOCK_STREAM;
}

HostKind Endpoint::host_kind() const noexcept {
  if (is_unix()) return HostKind::none;
  if (host.empty()) return HostKind::wildcard;
  if (host.find(':') != std::string::npos) return HostKind::ipv6;
  if (looks_numeric(host)) return HostKind::ipv4;
  return HostKind::name;
}

std::string Endpoint::to_string() const {
  std::string out(network_name(network));
  out += "://";
  if (is_unix()) return out + path;
  if (host_kind() == HostKind::ipv6) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  if (text.empty()) return invalid(text, {"empty; expected e.g. \"tcp://:9000\""});
  if (const auto bad = std::find_if(text.begin(), text.end(), is_control); bad != text.end()) {
    return invalid(text, {"control character ", quote(std::string_view(&*bad, 1)), " at byte ",
                          std::to_string(bad - text.begin())});
  }
  if (text.front() == ' ' || text.back() == ' ') {
    return invalid(text, {"leading or trailing space"});
  }

  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    // No scheme means tcp, as in "127.0.0.1:9000" or ":9000". "tcp:/x" is a typo, not a
    // host named "tcp".
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && scheme_network(text.substr(0, colon))) {
      return invalid(text,
                     {"scheme ", quote(text.substr(0, colon)), " must be followed by \"://\""});
    }
    return parse_inet(text, Network::tcp, text);
  }
  const std::string_view scheme = text.substr(0, sep);
  if (scheme.empty()) return invalid(text, {"empty scheme before \"://\""});
  const auto network = scheme_network(scheme);
  if (!network) {
    return invalid(text, {"unknown scheme ", quote(scheme),
                          " (expected tcp, tcp4, tcp6, udp, udp4, udp6 or unix)"});
  }
  const std::string_view rest = text.substr(sep + 3);
  if (*network == Network::unix_stream) return parse_unix(text, rest);
  return parse_inet(text, *network, rest);
}

}  // namespace actnet::io
