#pragma once
// SHA-1 (FIPS 180-4), here only because the WebSocket handshake (RFC 6455 §4.2.2) hashes the
// client's key with it; the demo depends on no crypto library. Not for anything secret.

#include <array>
#include <cstdint>
#include <string_view>

namespace chat {

using Sha1Digest = std::array<std::uint8_t, 20>;

// Any thread: the digest of `bytes`.
Sha1Digest sha1(std::string_view bytes);

}  // namespace chat
