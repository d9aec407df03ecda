#include "resp_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace redis {

namespace {

// A strict decimal: optional '-', digits, no leading zeros (as Redis's string2ll).
bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0' && s.size() > i + 1) return false;
  std::int64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (value > (INT64_MAX - (s[i] - '0')) / 10) return false;
    value = value * 10 + (s[i] - '0');
  }
  out = negative ? -value : value;
  return true;
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (std::tolower(static_cast<unsigned char>(c)) - 'a') + 10;
}
bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0' || c == '\v' || c == '\f';
}

}  // namespace

RespParser::Status RespParser::fail(std::string what) {
  state_ = State::failed;
  error_ = std::string("Protocol error: ").append(what);
  return Status::error;
}

std::string& RespParser::next_arg() {
  if (argc_ == args_.size()) args_.emplace_back();
  std::string& arg = args_[argc_++];
  arg.clear();
  return arg;
}

RespParser::Status RespParser::command_ready() {
  views_.assign(args_.begin(), args_.begin() + static_cast<std::ptrdiff_t>(argc_));
  state_ = State::start;
  return Status::command;
}

// Gathers bytes up to and including '\n' into line_ (without the '\n'). False when the
// line is not complete yet (everything was consumed) or grew past `limit`.
bool RespParser::take_line(std::string_view in, std::size_t& pos, std::size_t limit,
                           bool& too_long) {
  const char* begin = in.data() + pos;
  const std::size_t avail = in.size() - pos;
  const void* nl = std::memchr(begin, '\n', avail);
  const std::size_t n = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) : avail;
  if (line_.size() + n > limit) {
    too_long = true;
    return false;
  }
  line_.append(begin, n);
  pos += nl ? n + 1 : n;
  return nl != nullptr;
}

RespParser::Status RespParser::parse(std::string_view in, std::size_t& consumed) {
  std::size_t pos = 0;
  consumed = 0;
  for (;;) {
    switch (state_) {
      case State::failed:
        return Status::error;
      case State::start:
        if (pos == in.size()) {
          consumed = pos;
          return Status::need_more;
        }
        line_.clear();
        argc_ = 0;
        if (in[pos] == '*') {
          ++pos;
          state_ = State::multibulk_line;
        } else {
          state_ = State::inline_line;
        }
        break;
      case State::multibulk_line:
      case State::bulk_line: {
        bool too_long = false;
        if (!take_line(in, pos, kMaxHeaderLine, too_long)) {
          if (too_long) {
            return fail(state_ == State::multibulk_line ? "too big mbulk count string"
                                                        : "too big bulk count string");
          }
          consumed = pos;
          return Status::need_more;
        }
        const Status s =
            state_ == State::multibulk_line ? finish_multibulk_line() : finish_bulk_line();
        if (s != Status::need_more) {
          consumed = pos;
          return s;
        }
        break;
      }
      case State::bulk_data: {
        const std::size_t n =
            std::min<std::size_t>(static_cast<std::size_t>(bulk_left_), in.size() - pos);
        args_[argc_ - 1].append(in.data() + pos, n);
        pos += n;
        bulk_left_ -= static_cast<std::int64_t>(n);
        if (bulk_left_ > 0) {
          consumed = pos;
          return Status::need_more;
        }
        state_ = State::bulk_crlf;
        crlf_seen_ = 0;
        break;
      }
      case State::bulk_crlf:
        while (crlf_seen_ < 2 && pos < in.size()) {
          if (in[pos] != "\r\n"[crlf_seen_]) {
            consumed = pos;
            return fail("expected CRLF after bulk data");
          }
          ++crlf_seen_;
          ++pos;
        }
        if (crlf_seen_ < 2) {
          consumed = pos;
          return Status::need_more;
        }
        if (static_cast<std::int64_t>(argc_) == expected_args_) {
          consumed = pos;
          return command_ready();
        }
        line_.clear();
        state_ = State::bulk_line;
        break;
      case State::inline_line: {
        bool too_long = false;
        if (!take_line(in, pos, kMaxInline, too_long)) {
          if (too_long) return fail("too big inline request");
          consumed = pos;
          return Status::need_more;
        }
        const Status s = finish_inline_line();
        if (s != Status::need_more) {
          consumed = pos;
          return s;
        }
        break;
      }
    }
  }
}

RespParser::Status RespParser::finish_multibulk_line() {
  std::int64_t count = 0;
  if (line_.empty() || line_.back() != '\r' ||
      !parse_int(std::string_view(line_).substr(0, line_.size() - 1), count) || count > kMaxArgs) {
    return fail("invalid multibulk length");
  }
  if (count <= 0) {  // "*0" and "*-1" are empty requests: nothing to run
    state_ = State::start;
    return Status::need_more;
  }
  expected_args_ = count;
  line_.clear();
  state_ = State::bulk_line;
  return Status::need_more;
}

RespParser::Status RespParser::finish_bulk_line() {
  if (line_.empty() || line_[0] != '$') {
    std::string got = line_.empty() ? std::string("\\n") : std::string(1, line_[0]);
    return fail(std::string("expected '$', got '").append(got).append("'"));
  }
  std::int64_t length = 0;
  if (line_.back() != '\r' ||
      !parse_int(std::string_view(line_).substr(1, line_.size() - 2), length) || length < 0 ||
      length > kMaxBulk) {
    return fail("invalid bulk length");
  }
  std::string& arg = next_arg();
  // Capacity grows with the bytes that really arrive, so a client that announces 512 MiB and
  // sends nothing costs nothing.
  arg.reserve(static_cast<std::size_t>(std::min<std::int64_t>(length, 64 * 1024)));
  bulk_left_ = length;
  state_ = State::bulk_data;
  return Status::need_more;
}

// Splits like Redis's sdssplitargs: blanks separate words, "double quotes" take \n \r \t \b
// \a \\ \" and \xHH escapes, 'single quotes' take \', and a closing quote must end the word.
RespParser::Status RespParser::finish_inline_line() {
  std::string_view line(line_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t p = 0;
  const std::size_t end = line.size();
  for (;;) {
    while (p < end && is_space(line[p]))
      ++p;
    if (p == end) break;
    std::string& word = next_arg();
    bool in_double = false, in_single = false, done = false;
    while (!done) {
      if (in_double) {
        if (p == end) return fail("unbalanced quotes in request");
        if (line[p] == '\\' && p + 3 < end && line[p + 1] == 'x' && is_hex(line[p + 2]) &&
            is_hex(line[p + 3])) {
          word.push_back(static_cast<char>(hex_value(line[p + 2]) * 16 + hex_value(line[p + 3])));
          p += 3;
        } else if (line[p] == '\\' && p + 1 < end) {
          ++p;
          const char c = line[p];
          word.push_back(c == 'n'   ? '\n'
                         : c == 'r' ? '\r'
                         : c == 't' ? '\t'
                         : c == 'b' ? '\b'
                         : c == 'a' ? '\a'
                                    : c);
        } else if (line[p] == '"') {
          if (p + 1 < end && !is_space(line[p + 1])) return fail("unbalanced quotes in request");
          done = true;
        } else {
          word.push_back(line[p]);
        }
      } else if (in_single) {
        if (p == end) return fail("unbalanced quotes in request");
        if (line[p] == '\\' && p + 1 < end && line[p + 1] == '\'') {
          word.push_back('\'');
          ++p;
        } else if (line[p] == '\'') {
          if (p + 1 < end && !is_space(line[p + 1])) return fail("unbalanced quotes in request");
          done = true;
        } else {
          word.push_back(line[p]);
        }
      } else if (p == end || is_space(line[p])) {
        done = true;
      } else if (line[p] == '"') {
        in_double = true;
      } else if (line[p] == '\'') {
        in_single = true;
      } else {
        word.push_back(line[p]);
      }
      if (p < end) ++p;
    }
  }
  if (argc_ == 0) {  // a blank line: nothing to run
    state_ = State::start;
    return Status::need_more;
  }
  return command_ready();
}

}  // namespace redis
