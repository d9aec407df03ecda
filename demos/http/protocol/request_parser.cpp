#include "request_parser.hpp"

#include <algorithm>
#include <cstring>

namespace http {
namespace {

// RFC 9110 tchar: what a method or a field name is made of.
constexpr std::array<bool, 256> kToken = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool token_byte(char c) noexcept {
  return kToken[static_cast<unsigned char>(c)];
}
// A request target's bytes: visible ASCII only (no space, no control, no obs-text).
bool target_byte(char c) noexcept {
  return c > 0x20 && c < 0x7f;
}
// A field value's bytes: HTAB, space, visible ASCII, obs-text.
bool value_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
bool ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && ows(s.back()))
    s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated list; stops at false.
template <class F>
bool for_each_element(std::string_view list, F f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim(list.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

RequestParser::RequestParser(const Limits& limits) noexcept
    : limits_(limits), chunked_decoder_(limits_) {}

void RequestParser::next_request() noexcept {
  phase_ = Phase::head;
  scanned_ = line_start_ = 0;
  have_request_line_ = false;
  base_ = nullptr;
  method_ = target_ = {};
  minor_ = 1;
  header_count_ = 0;
  declared_length_.reset();
  content_length_ = fixed_remaining_ = 0;
  transfer_encoding_ = chunked_ = false;
  connection_close_ = connection_keep_alive_ = expect_continue_ = false;
  keep_alive_ = true;
  hosts_ = 0;
  chunked_decoder_.reset();
  error_ = {};
}

RequestParser::Result RequestParser::fail(int status, std::string_view detail) noexcept {
  phase_ = Phase::failed;
  error_ = {status, detail};
  return {Step::error, 0, {}};
}

bool RequestParser::reject(int status, std::string_view detail) noexcept {
  fail(status, detail);
  return false;
}

std::optional<std::string_view> RequestParser::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < header_count_; ++i) {
    if (iequals(view(fields_[i].name), name)) return view(fields_[i].value);
  }
  return std::nullopt;
}

RequestParser::Header RequestParser::header(std::size_t i) const noexcept {
  return {view(fields_[i].name), view(fields_[i].value)};
}

RequestParser::Result RequestParser::parse(std::string_view in) noexcept {
  switch (phase_) {
    case Phase::head:
      return parse_head(in);
    case Phase::fixed_body: {
      if (fixed_remaining_ == 0) {
        phase_ = Phase::complete;
        return {Step::complete, 0, {}};
      }
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(fixed_remaining_, in.size()));
      if (n == 0) return {Step::need_more, 0, {}};
      fixed_remaining_ -= n;
      return {Step::body, n, in.substr(0, n)};
    }
    case Phase::chunked_body: {
      const BodyStep step = chunked_decoder_.decode(in);
      switch (step.kind) {
        case BodyStep::Kind::body:
          return {Step::body, step.consumed, step.body};
        case BodyStep::Kind::complete:
          phase_ = Phase::complete;
          return {Step::complete, step.consumed, {}};
        case BodyStep::Kind::error: {
          Result r = fail(chunked_decoder_.error().status, chunked_decoder_.error().detail);
          r.consumed = step.consumed;
          return r;
        }
        case BodyStep::Kind::need_more:
          break;
      }
      return {Step::need_more, step.consumed, {}};
    }
    case Phase::complete:
      return {Step::complete, 0, {}};
    case Phase::failed:
      break;
  }
  return {Step::error, 0, {}};
}

RequestParser::Result RequestParser::parse_head(std::string_view in) noexcept {
  for (;;) {
    const char* lf = scanned_ < in.size() ? static_cast<const char*>(std::memchr(
                                                in.data() + scanned_, '\n', in.size() - scanned_))
                                          : nullptr;
    if (lf == nullptr) {
      // No line end yet: refuse as soon as the partial line is sure to be too long, with
      // the status the complete line would get (one byte more may be the CR of its CRLF),
      // so the answer does not depend on how the bytes were split.
      scanned_ = std::max(scanned_, in.size());
      if (!have_request_line_) {
        if (scanned_ - line_start_ > limits_.max_request_line + 1) {
          return fail(414, "request line too long");
        }
      } else if (scanned_ > limits_.max_head) {
        return fail(431, "request head too large");
      }
      return {Step::need_more, 0, {}};
    }
    const std::size_t lf_at = static_cast<std::size_t>(lf - in.data());
    scanned_ = lf_at + 1;
    std::size_t end = lf_at;  // the line without its CRLF (a bare LF is accepted too)
    if (end > line_start_ && in[end - 1] == '\r') --end;
    const std::size_t begin = line_start_;
    line_start_ = scanned_;

    if (!have_request_line_) {
      if (end - begin > limits_.max_request_line) return fail(414, "request line too long");
      if (begin == end) {
        // RFC 9112 2.2: empty lines before a request (after a previous body) are ignored,
        // within the request line's budget.
        if (scanned_ > limits_.max_request_line) return fail(400, "too many empty lines");
        continue;
      }
      if (!parse_request_line(in, begin, end)) return {Step::error, 0, {}};
      have_request_line_ = true;
      continue;
    }
    if (scanned_ > limits_.max_head) return fail(431, "request head too large");
    if (begin == end) {
      base_ = in.data();
      if (!finish_head()) return {Step::error, 0, {}};
      return {Step::head, scanned_, {}};
    }
    if (!parse_field(in, begin, end)) return {Step::error, 0, {}};
  }
}

bool RequestParser::parse_request_line(std::string_view in, std::size_t begin,
                                       std::size_t end) noexcept {
  std::size_t i = begin;
  while (i < end && token_byte(in[i]))
    ++i;
  if (i == begin || i == end || in[i] != ' ') return reject(400, "malformed method");
  method_ = {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(i - begin)};

  const std::size_t target_begin = ++i;
  while (i < end && target_byte(in[i]))
    ++i;
  if (i == target_begin || i == end || in[i] != ' ') {
    return reject(400, "malformed request target");
  }
  target_ = {static_cast<std::uint32_t>(target_begin),
             static_cast<std::uint32_t>(i - target_begin)};

  const std::string_view version = in.substr(i + 1, end - i - 1);
  if (version == "HTTP/1.1") {
    minor_ = 1;
  } else if (version == "HTTP/1.0") {
    minor_ = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '2' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return reject(505, "HTTP version not supported");
  } else {
    return reject(400, "malformed HTTP version");
  }
  return true;
}

bool RequestParser::parse_field(std::string_view in, std::size_t begin, std::size_t end) noexcept {
  if (ows(in[begin])) return reject(400, "obsolete line folding");
  std::size_t i = begin;
  while (i < end && token_byte(in[i]))
    ++i;
  if (i == begin || i == end || in[i] != ':') return reject(400, "malformed header field name");
  const std::size_t name_end = i++;
  for (std::size_t j = i; j < end; ++j) {
    if (!value_byte(in[j])) return reject(400, "control byte in a header field value");
  }
  while (i < end && ows(in[i]))
    ++i;
  std::size_t value_end = end;
  while (value_end > i && ows(in[value_end - 1]))
    --value_end;

  if (header_count_ == limits_.max_headers) return reject(431, "too many header fields");
  fields_[header_count_++] = {
      {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(name_end - begin)},
      {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(value_end - i)}};
  return interpret(in.substr(begin, name_end - begin), in.substr(i, value_end - i));
}

// The fields that decide framing and the connection's fate.
bool RequestParser::interpret(std::string_view name, std::string_view value) noexcept {
  if (iequals(name, "content-length")) {
    if (value.empty()) return reject(400, "empty Content-Length");
    std::uint64_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return reject(400, "Content-Length is not a number");
      if (n > (UINT64_MAX - 9) / 10) return reject(400, "Content-Length overflows");
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (declared_length_ && *declared_length_ != n) {
      return reject(400, "conflicting Content-Length fields");
    }
    declared_length_ = n;
  } else if (iequals(name, "transfer-encoding")) {
    transfer_encoding_ = true;
    bool unsupported = false;
    const bool well_formed = for_each_element(value, [&](std::string_view coding) {
      if (!iequals(coding, "chunked")) {
        unsupported = true;
        return false;
      }
      if (chunked_) return false;  // chunked twice
      chunked_ = true;
      return true;
    });
    if (unsupported) return reject(501, "unsupported transfer coding");
    if (!well_formed) return reject(400, "chunked applied twice");
  } else if (iequals(name, "connection")) {
    for_each_element(value, [&](std::string_view option) {
      if (iequals(option, "close")) connection_close_ = true;
      if (iequals(option, "keep-alive")) connection_keep_alive_ = true;
      return true;
    });
  } else if (iequals(name, "host")) {
    ++hosts_;
  } else if (iequals(name, "expect")) {
    if (iequals(value, "100-continue")) expect_continue_ = true;
  }
  return true;
}

bool RequestParser::finish_head() noexcept {
  if (minor_ == 1 && hosts_ != 1) return reject(400, "HTTP/1.1 needs exactly one Host");
  if (transfer_encoding_) {
    // RFC 9112 6.1 and 6.3: both framings at once is how requests are smuggled; refuse.
    if (declared_length_) return reject(400, "Content-Length with Transfer-Encoding");
    if (minor_ == 0) return reject(400, "Transfer-Encoding in HTTP/1.0");
    if (!chunked_) return reject(400, "empty Transfer-Encoding");
  }
  content_length_ = declared_length_.value_or(0);
  if (content_length_ > limits_.max_body) return reject(413, "body too large");
  keep_alive_ = minor_ == 1 ? !connection_close_ : connection_keep_alive_ && !connection_close_;
  if (chunked_) {
    phase_ = Phase::chunked_body;
  } else {
    phase_ = Phase::fixed_body;
    fixed_remaining_ = content_length_;
  }
  return true;
}

}  // namespace http
