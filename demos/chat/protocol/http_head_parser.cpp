#include "protocol/http_head_parser.hpp"

#include <algorithm>

namespace chat {

namespace {

// RFC 9110 §5.6.2 tchar: what a method or a header name may be made of.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Visible ASCII and any byte >= 0x80 (obs-text), plus space and tab inside a field value.
bool is_field_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7F);
}

// A request target in origin form: '/' then visible ASCII only.
bool is_origin_form(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

HeadResult HttpHeadParser::fail(int status, std::string_view why) {
  final_ = {HeadResult::Status::bad, 0, status, why};
  return final_;
}

HeadResult HttpHeadParser::parse(std::string_view bytes) {
  if (final_.status != HeadResult::Status::need_more) return final_;

  // RFC 9112 §2.2: empty lines before the request line are ignored (a client may send a
  // stray CRLF after a previous request).
  const std::size_t start = std::min(bytes.find_first_not_of("\r\n"), bytes.size());
  if (start > kMaxHeadBytes) return fail(400, "no request line");

  // The head ends at an empty line: "\n\n" or "\n\r\n" (lines may end in LF alone).
  std::size_t end = 0;
  std::size_t i = std::max(scanned_, start);
  for (; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    if (i + 1 >= bytes.size()) break;
    if (bytes[i + 1] == '\n') {
      end = i + 2;
      break;
    }
    if (bytes[i + 1] != '\r') continue;
    if (i + 2 >= bytes.size()) break;
    if (bytes[i + 2] == '\n') {
      end = i + 3;
      break;
    }
  }
  scanned_ = i;
  if (end == 0) {
    if (bytes.size() - start >= kMaxHeadBytes) return fail(431, "request head too large");
    return {};
  }
  if (end - start > kMaxHeadBytes) return fail(431, "request head too large");
  return parse_head(bytes.substr(start, end - start), end);
}

HeadResult HttpHeadParser::parse_head(std::string_view head, std::size_t consumed) {
  HeadResult result{HeadResult::Status::done, consumed, 0, {}};
  bool first = true;
  while (!head.empty()) {
    const std::size_t newline = head.find('\n');  // the head ends in "\n\n" or "\n\r\n"
    std::string_view line = head.substr(0, newline);
    head.remove_prefix(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return fail(400, "bare CR in the request head");
    if (line.empty()) break;  // the empty line that ends the head
    if (first) {
      first = false;
      if (!parse_request_line(line)) return final_;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "folded header line");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "header line without ':'");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail(400, "invalid header name");
    const std::string_view value = line.substr(colon + 1);
    if (!std::all_of(value.begin(), value.end(), is_field_char)) {
      return fail(400, "control character in a header value");
    }
    if (request_.headers.size() == kMaxHeaders) return fail(431, "too many headers");
    request_.headers.push_back({std::string(name), std::string(trim(value))});
  }
  if (request_.version_minor >= 1 && !request_.header("Host")) {
    return fail(400, "HTTP/1.1 request without Host");  // RFC 9112 §3.2
  }
  final_ = result;
  return result;
}

bool HttpHeadParser::parse_request_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail(400, "malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    fail(400, "invalid method");
    return false;
  }
  if (!is_origin_form(target)) {
    fail(400, "request target must be an absolute path");
    return false;
  }
  const bool http_digits = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                           version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
                           version[7] >= '0' && version[7] <= '9';
  if (!http_digits) {
    fail(400, "malformed HTTP version");
    return false;
  }
  if (version[5] != '1') {
    fail(505, "only HTTP/1.x is supported");
    return false;
  }
  request_.method = method;
  request_.target = target;
  const std::size_t question = target.find('?');
  request_.path = target.substr(0, question);
  request_.query = question == std::string_view::npos ? "" : target.substr(question + 1);
  request_.version_minor = version[7] - '0';
  return true;
}

}  // namespace chat
