#pragma once
// RequestParser reads HTTP/1.1 and HTTP/1.0 requests incrementally from a connection's
// inbound bytes without copying them. The head (request line and header fields) stays in the
// caller's buffer until it is complete: the parser remembers where its lines and fields start
// and how far it has scanned, so each call looks only at new bytes. The body then streams
// through in slices (Content-Length or chunked) that the caller drops as it goes, so a body
// never has to fit in the buffer. Limits are checked as bytes arrive.
//
// The caller's loop, with `in` always starting at the first byte not yet consumed:
//
//   for (auto step = parser.parse(in); ...; in.remove_prefix(step.consumed)):
//     Step::head      route on method()/target()/keep_alive() (views into `in`, valid until
//                     the caller drops those bytes)
//     Step::body      a slice of the body (a view into `in`)
//     Step::complete  the request ended; next_request() before parsing the next one
//     Step::need_more wait for more bytes
//     Step::error     answer error().status and close: the stream cannot be resynchronised
//
// It owns only fixed-size state (no allocation); one per connection, reused for every
// request. Not thread-safe: the connection's loop uses it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "body_step.hpp"
#include "chunked_decoder.hpp"
#include "http_error.hpp"
#include "limits.hpp"

namespace http {

class RequestParser {
 public:
  enum class Step : std::uint8_t { need_more, head, body, complete, error };
  struct Result {
    Step step = Step::need_more;
    std::size_t consumed = 0;  // bytes of `in` the caller drops (0 while the head is partial)
    std::string_view body;     // Step::body: the slice
  };
  struct Header {
    std::string_view name, value;  // value without surrounding whitespace
  };

  // Any thread, before use: `limits` must be valid (Limits::invalid() == nullptr).
  explicit RequestParser(const Limits& limits = {}) noexcept;
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  RequestParser(RequestParser&&) = delete;
  RequestParser& operator=(RequestParser&&) = delete;

  // Owner thread: goes on parsing at the start of `in` (see above).
  Result parse(std::string_view in) noexcept;
  // Owner thread: after Step::complete, forgets the request and expects the next one.
  void next_request() noexcept;
  // Owner thread: no head yet for the current request (waiting for it, or amid it).
  bool in_head() const noexcept { return phase_ == Phase::head; }

  // ---- the request head: after Step::head, as long as its bytes are in the caller's buffer
  std::string_view method() const noexcept { return view(method_); }
  std::string_view target() const noexcept { return view(target_); }
  int minor_version() const noexcept { return minor_; }  // HTTP/1.<minor>
  std::size_t header_count() const noexcept { return header_count_; }
  Header header(std::size_t i) const noexcept;
  // The first field named `name` (case-insensitive).
  std::optional<std::string_view> find(std::string_view name) const noexcept;

  // ---- what the head means (valid from Step::head until next_request)
  // Whether the connection may carry another request after this one: HTTP/1.1 unless
  // "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive() const noexcept { return keep_alive_; }
  bool chunked() const noexcept { return chunked_; }
  std::uint64_t content_length() const noexcept { return content_length_; }  // 0 if chunked
  bool expects_continue() const noexcept { return expect_continue_; }  // "Expect: 100-continue"
  bool has_body() const noexcept { return chunked_ || content_length_ > 0; }

  // After Step::error: the status to answer and why. The parser then stays failed.
  const HttpError& error() const noexcept { return error_; }

 private:
  enum class Phase : std::uint8_t { head, fixed_body, chunked_body, complete, failed };
  struct Span {
    std::uint32_t offset = 0, length = 0;  // within the head, from its first byte
  };
  struct Field {
    Span name, value;
  };

  Result parse_head(std::string_view in) noexcept;
  bool parse_request_line(std::string_view in, std::size_t begin, std::size_t end) noexcept;
  bool parse_field(std::string_view in, std::size_t begin, std::size_t end) noexcept;
  bool interpret(std::string_view name, std::string_view value) noexcept;
  bool finish_head() noexcept;
  Result fail(int status, std::string_view detail) noexcept;
  bool reject(int status, std::string_view detail) noexcept;  // fail(); false
  std::string_view view(Span s) const noexcept { return {base_ + s.offset, s.length}; }

  const Limits limits_;  // the chunked decoder points here: the parser never moves
  Phase phase_ = Phase::head;
  // Head scanning, relative to the head's first byte (the first byte of `in` while in it).
  std::size_t scanned_ = 0;     // bytes searched for a line end
  std::size_t line_start_ = 0;  // where the current line starts
  bool have_request_line_ = false;
  const char* base_ = nullptr;  // the head's first byte, set at Step::head
  Span method_, target_;
  int minor_ = 1;
  std::array<Field, Limits::kMaxHeadersCap> fields_{};
  std::size_t header_count_ = 0;
  // What the fields said.
  std::optional<std::uint64_t> declared_length_;
  std::uint64_t content_length_ = 0;
  std::uint64_t fixed_remaining_ = 0;
  bool transfer_encoding_ = false;
  bool chunked_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
  int hosts_ = 0;
  ChunkedDecoder chunked_decoder_;
  HttpError error_;
};

}  // namespace http
