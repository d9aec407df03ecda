#include "target.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace loadgen {

bool resolve_target(const Options& options, Target* target, std::string* error) {
  if (!options.unix_path.empty()) {
    auto* sun = reinterpret_cast<sockaddr_un*>(&target->address);
    if (options.unix_path.size() >= sizeof sun->sun_path) {
      *error = "unix path too long";
      return false;
    }
    sun->sun_family = AF_UNIX;
    std::memcpy(sun->sun_path, options.unix_path.c_str(), options.unix_path.size() + 1);
    target->length = sizeof(sockaddr_un);
    target->text = std::string("unix:").append(options.unix_path);
    return true;
  }
  const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  auto* sin = reinterpret_cast<sockaddr_in*>(&target->address);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&target->address);
  if (::inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
      *error = "only loopback addresses (127.0.0.0/8, ::1) are allowed";
      return false;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<std::uint16_t>(options.port));
    target->length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
      *error = "only loopback addresses (127.0.0.0/8, ::1) are allowed";
      return false;
    }
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<std::uint16_t>(options.port));
    target->length = sizeof(sockaddr_in6);
  } else {
    *error = std::string("not a numeric loopback address: ").append(options.host);
    return false;
  }
  target->text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  target->text.append(":").append(std::to_string(options.port));
  return true;
}

}  // namespace loadgen
