#pragma once
// BodyStep is what one call of an incremental decoder reports: how many input bytes it used
// (the caller drops them from its buffer) and, for Kind::body, the body bytes among them.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace http {

struct BodyStep {
  enum class Kind : std::uint8_t {
    need_more,  // every input byte was used (consumed == input size); call again with more
    body,       // `body` is a piece of the body, inside the consumed bytes
    complete,   // the message ended after `consumed` bytes; the rest belongs to the next one
    error,      // the bytes are malformed or over a limit: see the decoder's error()
  };
  Kind kind = Kind::need_more;
  std::size_t consumed = 0;
  std::string_view body;
};

}  // namespace http
