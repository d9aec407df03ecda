// libFuzzer target for the address parser: any bytes either parse to an Endpoint that keeps
// the parser's promises or give a clean invalid_argument error. Host names are never
// resolved here (no DNS traffic); numeric hosts, wildcards and unix paths are, since they
// never leave the process.

#include <sys/socket.h>
#include <sys/un.h>

#include <actnet/io/address.hpp>
#include <actnet/io/resolve.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "address_fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void check_resolution(const actnet::io::Endpoint& e) {
  using actnet::io::HostKind;
  if (e.host_kind() == HostKind::name) return;  // would need getaddrinfo
  for (auto purpose : {actnet::io::ResolveFor::bind, actnet::io::ResolveFor::connect}) {
    auto r = actnet::io::resolve(e, purpose);
    check(r.ok(), "a parsed numeric endpoint resolves");
    check(!r->empty(), "resolution is never empty");
    for (const auto& a : *r) {
      check(a.size() > 0 && a.size() <= a.capacity(), "address length within storage");
      if (e.is_unix()) {
        check(a.family() == AF_UNIX, "unix resolves to AF_UNIX");
        check(a.to_string() == e.path, "sockaddr_un prints back the path");
      } else {
        check(a.family() == AF_INET || a.family() == AF_INET6, "inet resolves to inet");
        check(a.port() == e.port, "resolution keeps the port");
      }
    }
    if (e.is_unix()) break;  // purpose does not matter for unix
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = actnet::io::parse_endpoint(text);
  if (!parsed) {
    const auto& error = parsed.error();
    check(error.code == std::errc::invalid_argument, "parse errors are invalid_argument");
    check(error.message.rfind("address \"", 0) == 0, "the message quotes the input");
    check(!has_control(error.message), "the message is printable");
    check(error.message.size() < 2048, "the message is bounded");
    return 0;
  }
  const actnet::io::Endpoint& e = *parsed;
  check(!has_control(e.host) && !has_control(e.path), "no control bytes accepted");

  const std::string canonical = e.to_string();
  auto again = actnet::io::parse_endpoint(canonical);
  check(again.ok(), "to_string() re-parses");
  check(*again == e, "to_string() re-parses to an equal endpoint");
  check(again->to_string() == canonical, "to_string() is a fixed point");

  if (e.is_unix()) {
    check(e.host.empty() && e.port == 0, "unix has no host or port");
    check(!e.path.empty(), "unix path is not empty");
    const std::size_t room = sizeof(sockaddr_un::sun_path);
    check(e.is_abstract() ? e.path.size() <= room : e.path.size() < room, "fits in sun_path");
  } else {
    check(e.path.empty(), "inet has no path");
    check(e.host.size() <= 254, "host within DNS limits");
    check(e.is_stream() != e.is_datagram(), "stream xor datagram");
  }
  check_resolution(e);
  return 0;
}
