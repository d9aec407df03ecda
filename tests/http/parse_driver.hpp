#pragma once
// Test support: drives an http::RequestParser the way the server does — bytes arrive in
// pieces, are appended to a buffer, parsed as far as they go, and consumed bytes are dropped
// (so the buffer moves, as a connection's may) — and records what it saw as plain values.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/request_parser.hpp"

namespace http_test {

struct Parsed {
  std::string method, target;
  int minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = true;
  bool chunked = false;
  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> requests;  // the complete ones, in order
  int error = 0;                 // the status of the error that stopped parsing, or 0
  std::string detail;
  bool operator==(const Outcome& o) const { return requests == o.requests && error == o.error; }
};

class ParseDriver {
 public:
  explicit ParseDriver(const http::Limits& limits = {}) : parser_(limits) {}

  // Appends `piece` and parses as far as the buffer goes.
  void feed(std::string_view piece) {
    buffer_.append(piece);
    while (outcome_.error == 0) {
      const auto r = parser_.parse(buffer_);
      if (r.consumed > buffer_.size()) {
        outcome_.error = -1;  // a parser bug: never more than it was given
        return;
      }
      switch (r.step) {
        case http::RequestParser::Step::head: {
          current_ = {};
          current_.method = parser_.method();
          current_.target = parser_.target();
          current_.minor = parser_.minor_version();
          for (std::size_t i = 0; i < parser_.header_count(); ++i) {
            const auto h = parser_.header(i);
            current_.headers.emplace_back(h.name, h.value);
          }
          current_.keep_alive = parser_.keep_alive();
          current_.chunked = parser_.chunked();
          break;
        }
        case http::RequestParser::Step::body:
          current_.body.append(r.body);
          break;
        case http::RequestParser::Step::complete:
          outcome_.requests.push_back(std::move(current_));
          current_ = {};
          parser_.next_request();
          break;
        case http::RequestParser::Step::error:
          outcome_.error = parser_.error().status;
          outcome_.detail = parser_.error().detail;
          break;
        case http::RequestParser::Step::need_more:
          buffer_.erase(0, r.consumed);
          return;
      }
      buffer_.erase(0, r.consumed);
    }
  }

  const Outcome& outcome() const { return outcome_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  http::RequestParser parser_;
  std::string buffer_;
  Parsed current_;
  Outcome outcome_;
};

// The whole input at once.
inline Outcome parse_whole(std::string_view bytes, const http::Limits& limits = {}) {
  ParseDriver d(limits);
  d.feed(bytes);
  return d.outcome();
}

// The input in two pieces, split at `at`.
inline Outcome parse_split(std::string_view bytes, std::size_t at,
                           const http::Limits& limits = {}) {
  ParseDriver d(limits);
  d.feed(bytes.substr(0, at));
  d.feed(bytes.substr(at));
  return d.outcome();
}

// The input one byte at a time.
inline Outcome parse_bytewise(std::string_view bytes, const http::Limits& limits = {}) {
  ParseDriver d(limits);
  for (char c : bytes)
    d.feed(std::string_view(&c, 1));
  return d.outcome();
}

}  // namespace http_test
