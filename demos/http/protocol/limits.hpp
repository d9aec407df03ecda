#pragma once
// Limits bound what one request may cost the server before it is refused: each is checked
// as bytes arrive, so an oversized request is answered with its status as soon as it is
// known to be too large, never after buffering it. Plain value, any thread.

#include <cstddef>
#include <cstdint>

namespace http {

struct Limits {
  // The parser keeps header positions in a fixed array: no allocation per request.
  static constexpr std::size_t kMaxHeadersCap = 100;

  std::size_t max_request_line = 8 * 1024;  // method SP target SP version; beyond: 414
  std::size_t max_head = 16 * 1024;         // request line + fields + blank line; beyond: 431
  std::size_t max_headers = 64;             // header fields (<= kMaxHeadersCap); beyond: 431
  std::uint64_t max_body = 1024 * 1024;     // decoded body bytes; beyond: 413
  std::size_t max_chunk_line = 4 * 1024;    // chunk size with its extensions; beyond: 400

  // Any thread: whether the limits are consistent (nullptr) or what is wrong with them.
  const char* invalid() const noexcept {
    if (max_request_line == 0 || max_head == 0 || max_chunk_line == 0) return "a limit is 0";
    if (max_request_line > max_head) return "max_request_line exceeds max_head";
    if (max_headers > kMaxHeadersCap) return "max_headers exceeds kMaxHeadersCap";
    if (max_body > (std::uint64_t{1} << 62)) return "max_body is too large";
    return nullptr;
  }
};

}  // namespace http
