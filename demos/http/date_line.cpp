#include "date_line.hpp"

#include <time.h>

namespace http {

DateLine& DateLine::current() noexcept {
  thread_local DateLine line;
  return line;
}

std::string_view DateLine::get() noexcept {
  // The coarse clock is a vDSO read of the last tick: cheap enough to ask per on_traffic.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return at(now.tv_sec);
}

std::string_view DateLine::at(std::time_t now) noexcept {
  if (now != second_) {
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    // strftime's %a and %b follow the C locale unless the program changes it; this one does
    // not, and IMF-fixdate wants exactly those English names.
    length_ = std::strftime(line_, sizeof line_, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
    second_ = now;
  }
  return {line_, length_};
}

}  // namespace http
