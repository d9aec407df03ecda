#include "actnet/io/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "actnet/io/unique_fd.hpp"

namespace actnet::io {

namespace {

// Appends rather than `"literal" + std::string&&`, which trips GCC 12's -Wrestrict false
// positive at -O3.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts)
    out += part;
  return out;
}

SocketAddress inet4(const char* numeric, std::uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, numeric, &in.sin_addr);
  return SocketAddress(reinterpret_cast<const sockaddr*>(&in), sizeof in);
}

SocketAddress inet6(const char* numeric, std::uint16_t port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  inet_pton(AF_INET6, numeric, &in6.sin6_addr);
  return SocketAddress(reinterpret_cast<const sockaddr*>(&in6), sizeof in6);
}

// The parser has already bounded the path to sun_path, so the copies below always fit.
SocketAddress unix_address(const std::string& path) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  socklen_t len = offsetof(sockaddr_un, sun_path);
  if (path[0] == '@') {  // abstract: a leading NUL, then the name, no terminator
    std::memcpy(un.sun_path + 1, path.data() + 1, path.size() - 1);
    len += static_cast<socklen_t>(path.size());
  } else {
    std::memcpy(un.sun_path, path.data(), path.size());
    len += static_cast<socklen_t>(path.size() + 1);
  }
  return SocketAddress(reinterpret_cast<const sockaddr*>(&un), len);
}

std::vector<SocketAddress> wildcard(const Endpoint& e, ResolveFor purpose) {
  const bool bind = purpose == ResolveFor::bind;
  const char* any4 = bind ? "0.0.0.0" : "127.0.0.1";
  const char* any6 = bind ? "::" : "::1";
  switch (e.family_hint()) {
    case AF_INET:
      return {inet4(any4, e.port)};
    case AF_INET6:
      return {inet6(any6, e.port)};
    default:
      break;
  }
  if (bind) return {ipv6_supported() ? inet6(any6, e.port) : inet4(any4, e.port)};
  std::vector<SocketAddress> out{inet4(any4, e.port)};
  if (ipv6_supported()) out.push_back(inet6(any6, e.port));
  return out;
}

Error lookup_error(const Endpoint& e, int rc, int saved_errno) {
  std::error_code code;
  switch (rc) {
    case EAI_NONAME:
    case EAI_FAMILY:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
      code = std::make_error_code(std::errc::address_not_available);
      break;
    case EAI_AGAIN:
      code = std::make_error_code(std::errc::resource_unavailable_try_again);
      break;
    case EAI_MEMORY:
      code = std::make_error_code(std::errc::not_enough_memory);
      break;
    case EAI_SYSTEM:
      code = std::error_code(saved_errno, std::system_category());
      break;
    default:
      code = std::make_error_code(std::errc::io_error);
      break;
  }
  std::string reason = rc == EAI_SYSTEM ? code.message() : gai_strerror(rc);
  return Error(code, cat({"cannot resolve \"", e.host, "\" for ", e.to_string(), ": ", reason}));
}

Result<std::vector<SocketAddress>> lookup(const Endpoint& e) {
  addrinfo hints{};
  hints.ai_family = e.family_hint();
  hints.ai_socktype = e.socket_type();
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(e.host.c_str(), std::to_string(e.port).c_str(), &hints, &list);
  if (rc != 0) return lookup_error(e, rc, errno);
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, &freeaddrinfo);

  std::vector<SocketAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SocketAddress address(ai->ai_addr, ai->ai_addrlen);
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  if (out.empty()) return lookup_error(e, EAI_NONAME, 0);
  return out;
}

}  // namespace

bool ipv6_supported() noexcept {
  static const bool supported = [] {
    const UniqueFd probe(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return probe.valid();
  }();
  return supported;
}

Result<std::vector<SocketAddress>> resolve(const Endpoint& endpoint, ResolveFor purpose) {
  // Endpoint is a plain struct that callers may fill by hand, so check it the one way that
  // cannot drift from the parser: parse its canonical spelling again.
  auto parsed = parse_endpoint(endpoint.to_string());
  if (!parsed) return Error(parsed.error().code, cat({"cannot resolve: ", parsed.error().message}));
  const Endpoint& e = *parsed;
  const bool stray =
      e.is_unix() ? (!endpoint.host.empty() || endpoint.port != 0) : !endpoint.path.empty();
  if (stray) {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 cat({"cannot resolve ", e.to_string(), ": ",
                      e.is_unix() ? "a unix endpoint has a host or port set"
                                  : "an inet endpoint has a unix path set"}));
  }

  switch (e.host_kind()) {
    case HostKind::none:
      return std::vector<SocketAddress>{unix_address(e.path)};
    case HostKind::wildcard:
      return wildcard(e, purpose);
    case HostKind::ipv4:
      return std::vector<SocketAddress>{inet4(e.host.c_str(), e.port)};
    case HostKind::ipv6:
      return std::vector<SocketAddress>{inet6(e.host.c_str(), e.port)};
    case HostKind::name:
      break;
  }
  return lookup(e);
}

}  // namespace actnet::io
