#pragma once
// Endpoint is what a user writes to say where to listen or connect, in gnet's URL forms
// ("tcp://:9000", "udp4://127.0.0.1:53", "tcp6://[::1]:9000", "unix:///run/app.sock"),
// after parsing and checking but before any name lookup. It exists so that every bad address
// is refused once, up front, with a message that names it, and so that name resolution
// (resolve.hpp), which may block, happens exactly once and only where the caller chooses.
// It owns nothing but its strings; it is a plain value, safe to copy across threads.
//
// The accepted grammar (case-insensitive scheme; nothing is percent-decoded):
//   [scheme "://"] host ":" port        scheme: tcp tcp4 tcp6 udp udp4 udp6 (default tcp)
//   "unix://" path                      a filesystem path, or "@name" for Linux's abstract
//                                       namespace (use "unix://./@x" for a file named "@x")
//   host  = ""               all interfaces (the wildcard; see resolve.hpp for which)
//         | IPv4 literal     dotted quad only ("127.1" and "0x7f.0.0.1" are refused, not
//                            guessed at the way inet_aton would)
//         | "[" IPv6 "]"     brackets always required, since a port always follows;
//                            zone ids ("[fe80::1%eth0]") are refused
//         | host name        letters, digits, '-', '_', '.'; labels of 1-63, 253 in all;
//                            stored lower-cased, looked up by resolve()
//   port  = decimal 0-65535, no sign or spaces; 0 lets the kernel pick one at bind time.
//   path  = taken verbatim; "unix:///run/app.sock" is absolute, "unix://app.sock" is
//           relative to the working directory of the process when it binds or connects,
//           exactly as gnet and Go treat them. At most 107 bytes (108-byte sun_path with
//           its NUL), 107 for an abstract name.
// Refused everywhere: control characters and NUL, leading or trailing spaces; for tcp/udp
// also paths, queries, fragments and user-info ("tcp://u@h:1/x?y#z").

#include <cstdint>
#include <string>
#include <string_view>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"

namespace actnet::io {

/// gnet's network names. `unix_stream` is gnet's "unix" (named so because `unix` is a
/// predefined macro in GNU C++ modes).
enum class Network : std::uint8_t { tcp, tcp4, tcp6, udp, udp4, udp6, unix_stream };

/// "tcp", "tcp4", ..., "unix": the scheme as written in a URL.
ACTNET_API std::string_view network_name(Network network) noexcept;

/// What kind of host an inet endpoint names; decides how resolve() turns it into addresses.
enum class HostKind : std::uint8_t { none, wildcard, ipv4, ipv6, name };

/// A parsed, checked address to listen on or connect to, before any name lookup.
struct ACTNET_API Endpoint {
  Network network = Network::tcp;  ///< the scheme
  std::string host;                ///< canonical: "" (wildcard), "127.0.0.1", "::1" (no brackets),
                                   ///< or a lower-case host name; always "" for unix
  std::uint16_t port = 0;          ///< 0 means "kernel picks"; always 0 for unix
  std::string path;                ///< unix only: "/run/app.sock", "app.sock" or "@abstract"

  bool is_stream() const noexcept;    ///< tcp*, unix
  bool is_datagram() const noexcept;  ///< udp*
  /// `unix://...`
  bool is_unix() const noexcept { return network == Network::unix_stream; }
  /// `unix://@name`: Linux's abstract namespace (no file).
  bool is_abstract() const noexcept { return is_unix() && !path.empty() && path[0] == '@'; }

  /// AF_INET for tcp4/udp4, AF_INET6 for tcp6/udp6, AF_UNIX for unix, and for plain tcp/udp
  /// the family of a numeric host, else AF_UNSPEC (either, decided by resolution).
  int family_hint() const noexcept;
  /// SOCK_STREAM or SOCK_DGRAM.
  int socket_type() const noexcept;
  /// `none` for unix; for tcp/udp what `host` holds.
  HostKind host_kind() const noexcept;

  /// The canonical URL, always with a scheme: "tcp://:9000", "tcp6://[::1]:0",
  /// `"unix:///run/app.sock"`, `"unix://@name"`. parse_endpoint() of it gives back an equal
  /// Endpoint.
  std::string to_string() const;

  /// Every field equal.
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// Parses and checks `text`. Pure and non-blocking: safe from any thread. A bad address is
/// an Error with std::errc::invalid_argument whose message quotes the input (non-printable
/// bytes escaped as `\xNN`) and says what is wrong. Never throws except std::bad_alloc.
ACTNET_API Result<Endpoint> parse_endpoint(std::string_view text);

}  // namespace actnet::io
