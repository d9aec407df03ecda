#include "responses.hpp"

#include <charconv>

#include "protocol/http_error.hpp"

namespace http {
namespace {

constexpr std::string_view kPlaintext = "Hello, World!";
constexpr std::string_view kJson = R"({"message":"Hello, World!"})";

// Status line and headers up to (not including) the connection and Date lines.
std::string head(int status, std::string_view content_type, std::size_t length,
                 std::string_view extra = {}) {
  std::string h("HTTP/1.1 ");
  h.append(std::to_string(status))
      .append(" ")
      .append(reason_phrase(status))
      .append("\r\nServer: actnet\r\nContent-Type: ")
      .append(content_type)
      .append("\r\nContent-Length: ")
      .append(std::to_string(length))
      .append("\r\n")
      .append(extra);
  return h;
}

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

}  // namespace

Responses::Responses()
    : plaintext_head_(head(200, "text/plain", kPlaintext.size())),
      json_head_(head(200, "application/json", kJson.size())),
      not_found_head_(head(404, "text/plain", reason_phrase(404).size() + 1)),
      allow_get_head_(
          head(405, "text/plain", reason_phrase(405).size() + 1, "Allow: GET, HEAD\r\n")),
      allow_post_head_(head(405, "text/plain", reason_phrase(405).size() + 1, "Allow: POST\r\n")) {}

void Responses::finish(std::string& out, Persistence p, std::string_view date) {
  if (p == Persistence::close) out.append("Connection: close\r\n");
  if (p == Persistence::keep_alive) out.append("Connection: keep-alive\r\n");
  out.append(date).append("\r\n");
}

void Responses::plaintext(std::string& out, Persistence p, std::string_view date,
                          bool head_only) const {
  out.append(plaintext_head_);
  finish(out, p, date);
  if (!head_only) out.append(kPlaintext);
}

void Responses::json(std::string& out, Persistence p, std::string_view date, bool head_only) const {
  out.append(json_head_);
  finish(out, p, date);
  if (!head_only) out.append(kJson);
}

void Responses::echo(std::string& out, Persistence p, std::string_view date,
                     std::string_view body) const {
  out.append("HTTP/1.1 200 OK\r\nServer: actnet\r\nContent-Type: application/octet-stream\r\n")
      .append("Content-Length: ");
  append_number(out, body.size());
  out.append("\r\n");
  finish(out, p, date);
  out.append(body);
}

void Responses::not_found(std::string& out, Persistence p, std::string_view date) const {
  out.append(not_found_head_);
  finish(out, p, date);
  out.append(reason_phrase(404)).append("\n");
}

void Responses::method_not_allowed(std::string& out, Allow allow, Persistence p,
                                   std::string_view date) const {
  out.append(allow == Allow::get_head ? allow_get_head_ : allow_post_head_);
  finish(out, p, date);
  out.append(reason_phrase(405)).append("\n");
}

void Responses::error(std::string& out, int status, std::string_view date) const {
  const std::string_view reason = reason_phrase(status);
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(status));
  out.append(" ").append(reason).append("\r\nServer: actnet\r\nContent-Type: text/plain\r\n");
  out.append("Content-Length: ");
  append_number(out, reason.size() + 1);
  out.append("\r\n");
  finish(out, Persistence::close, date);
  out.append(reason).append("\n");
}

void Responses::continue_100(std::string& out) {
  out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

}  // namespace http
