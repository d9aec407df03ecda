#pragma once
// HttpRequest is one parsed HTTP/1.x request head: what the page and the WebSocket handshake
// need to decide, and nothing of a body (the chat server accepts none).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

struct HttpHeader {
  std::string name;   // as sent; compare with iequals()
  std::string value;  // without surrounding spaces
};

struct HttpRequest {
  std::string method;
  std::string target;     // as sent: path plus optional '?' query
  std::string path;       // the target before '?', still percent-encoded
  std::string query;      // after '?', still percent-encoded; empty without one
  int version_minor = 1;  // HTTP/1.<minor>
  std::vector<HttpHeader> headers;

  // Any thread: the first header called `name` (ASCII case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // Any thread: true when any header called `name` lists `token` among its comma-separated
  // elements (case-insensitive), as Connection and Upgrade do.
  bool has_token(std::string_view name, std::string_view token) const;
  // Any thread: whether the connection may carry another request after this one (HTTP/1.1
  // without "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive() const;
  // Any thread: whether a body follows the head (Content-Length other than 0, or any
  // Transfer-Encoding); the server never reads one, so it answers and closes.
  bool has_body() const;
};

// Any thread: ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace chat
