#pragma once
// Base64 (RFC 4648 §4, with padding): the handshake sends the SHA-1 of the client's key in
// it, and the key itself must decode to exactly 16 bytes.

#include <optional>
#include <string>
#include <string_view>

namespace chat {

// Any thread.
std::string base64_encode(std::string_view bytes);
// Any thread: the decoded bytes, or nothing when `text` is not canonical padded base64
// (wrong length, a character outside the alphabet, misplaced '=', non-zero spare bits).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace chat
