#pragma once
// DateLine is the response's "Date: <IMF-fixdate>\r\n" line, formatted at most once a second:
// every response needs it, and formatting a date per request would cost more than the rest
// of a /plaintext answer. Each event loop thread has its own (current()), so loops share
// nothing and need no lock.

#include <ctime>
#include <string_view>

namespace http {

class DateLine {
 public:
  // Loop thread: this thread's DateLine.
  static DateLine& current() noexcept;

  // Owner thread: the line for the current second (reformatted when the second changed).
  std::string_view get() noexcept;
  // Owner thread: the line for `now` (tests use a fixed time).
  std::string_view at(std::time_t now) noexcept;

 private:
  std::time_t second_ = -1;
  char line_[64] = {};
  std::size_t length_ = 0;
};

}  // namespace http
