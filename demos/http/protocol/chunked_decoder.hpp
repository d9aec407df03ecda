#pragma once
// ChunkedDecoder turns a chunked request body (RFC 9112 section 7.1) back into its bytes, one
// input byte at a time for the framing and one slice per chunk for the data, so it keeps no
// input at all between calls: the caller may drop every byte it reports consumed. Chunk
// extensions are skipped; trailer fields are checked for size and bytes, then ignored.
// It owns only its small state; one per connection, reused with reset().
//
// Not thread-safe: the thread that owns the connection (its loop) uses it.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "body_step.hpp"
#include "http_error.hpp"
#include "limits.hpp"

namespace http {

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const Limits& limits) noexcept : limits_(&limits) {}

  // Owner thread: decodes from the start of `in`. Data comes back as Kind::body slices of
  // `in`; Kind::complete after the last chunk's trailers.
  BodyStep decode(std::string_view in) noexcept;
  // Owner thread: ready for a new body.
  void reset() noexcept;

  const HttpError& error() const noexcept { return error_; }
  std::uint64_t decoded() const noexcept { return total_; }

 private:
  enum class State : std::uint8_t {
    size_first,  // the chunk size's first hex digit
    size,        // more hex digits, or what ends the size
    extension,   // ";name=value" and whitespace up to the line end
    size_lf,     // the LF after the size line's CR
    data,        // `remaining_` data bytes
    data_cr,     // CRLF after the data
    data_lf,
    trailer,     // trailer lines until an empty one
    trailer_lf,  // the LF after a trailer line's CR
    done,
    failed,
  };
  BodyStep fail(int status, std::string_view detail, std::size_t consumed) noexcept;

  const Limits* limits_;
  State state_ = State::size_first;
  std::uint64_t size_ = 0;       // the chunk size being read
  std::uint64_t remaining_ = 0;  // data bytes left in the current chunk
  std::uint64_t total_ = 0;      // body bytes so far
  std::size_t line_ = 0;         // bytes of the current size or trailer line
  std::size_t trailer_bytes_ = 0;
  HttpError error_;
};

}  // namespace http
