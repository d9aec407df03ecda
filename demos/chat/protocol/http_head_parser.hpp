#pragma once
// HttpHeadParser finds and parses one HTTP/1.x request head in bytes that arrive a piece at a
// time. It owns the request being parsed and how far it has already searched, so feeding the
// same growing buffer again costs only the new bytes. It is strict where leniency would be a
// smuggling risk (bare CR, folded lines, space before ':') and bounds the head's size.

#include <cstddef>
#include <string_view>

#include "protocol/http_request.hpp"

namespace chat {

struct HeadResult {
  enum class Status { need_more, done, bad };
  Status status = Status::need_more;
  std::size_t consumed = 0;  // done: the head's length (the request's bytes end there)
  int http_status = 0;       // bad: the status to answer with (400, 431 or 505)
  std::string_view error;    // bad: why, for the response body and logs (static text)
};

class HttpHeadParser {
 public:
  static constexpr std::size_t kMaxHeadBytes = 8 * 1024;
  static constexpr std::size_t kMaxHeaders = 64;

  // One thread at a time. `bytes` holds everything received since the request began (the
  // same prefix every call, possibly longer). After `done`, request() holds the head; after
  // `bad` the parser stays bad until reset().
  HeadResult parse(std::string_view bytes);

  const HttpRequest& request() const noexcept { return request_; }
  HttpRequest& request() noexcept { return request_; }
  // For the next request on the same connection.
  void reset() { *this = HttpHeadParser{}; }

 private:
  HeadResult fail(int status, std::string_view why);
  HeadResult parse_head(std::string_view head, std::size_t consumed);
  bool parse_request_line(std::string_view line);

  HttpRequest request_;
  std::size_t scanned_ = 0;  // bytes before this cannot start the head's end
  HeadResult final_;         // set once done or bad
};

}  // namespace chat
