#pragma once
// The few HTTP/1.1 responses the chat server sends, written in full (status line, headers,
// body) so the caller hands one string to the connection.

#include <string>
#include <string_view>

namespace chat {

struct HttpResponse {
  int status = 200;
  std::string_view content_type = "text/plain; charset=utf-8";
  std::string_view body;
  bool keep_alive = false;         // false: "Connection: close", and the caller closes after it
  bool head_only = false;          // a HEAD request: headers (with the body's length) but no body
  std::string_view extra_headers;  // complete "Name: value\r\n" lines, or empty
};

// Any thread: the standard reason phrase for the statuses used here ("Unknown" otherwise).
std::string_view reason_phrase(int status);

// Any thread: the response's bytes.
std::string render(const HttpResponse& response);

// Any thread: a plain-text error response that closes the connection, its body `why`.
std::string error_response(int status, std::string_view why, std::string_view extra_headers = {});

}  // namespace chat
