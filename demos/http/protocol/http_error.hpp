#pragma once
// HttpError is why a request cannot be served: the status the server answers with before it
// closes the connection, and a short detail for logs and tests. The parser produces it; the
// server turns it into a response. Plain value, any thread.

#include <string_view>

namespace http {

struct HttpError {
  int status = 0;           // 400, 413, 414, 431, 501 or 505
  std::string_view detail;  // static text: what exactly was wrong
};

// The standard reason phrase for the statuses this server sends ("" for others).
std::string_view reason_phrase(int status) noexcept;

}  // namespace http
