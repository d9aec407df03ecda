#include "protocol/http_response.hpp"

namespace chat {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string render(const HttpResponse& r) {
  std::string out;
  out.reserve(160 + r.extra_headers.size() + (r.head_only ? 0 : r.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\nCache-Control: no-store\r\nConnection: ";
  out += r.keep_alive ? "keep-alive" : "close";
  out += "\r\n";
  out += r.extra_headers;
  out += "\r\n";
  if (!r.head_only) out += r.body;
  return out;
}

std::string error_response(int status, std::string_view why, std::string_view extra_headers) {
  std::string body(why);
  body += '\n';
  return render({.status = status, .body = body, .extra_headers = extra_headers});
}

}  // namespace chat
