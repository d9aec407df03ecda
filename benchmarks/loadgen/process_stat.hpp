#pragma once
// What the load generator reads about the server under test from /proc: CPU time spent
// (utime + stime of every thread, /proc/PID/stat) and resident memory (/proc/PID/status).
// Any thread.

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

namespace loadgen {

/// utime + stime of process `pid` in microseconds, or nothing if it cannot be read.
inline std::optional<std::uint64_t> cpu_time_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int n = 3; fields >> field; ++n) {  // the state is field 3
    if (n == 14) utime = std::stoull(field);
    if (n == 15) {
      stime = std::stoull(field);
      const long ticks = ::sysconf(_SC_CLK_TCK);
      return (utime + stime) * 1'000'000 / static_cast<std::uint64_t>(ticks);
    }
  }
  return std::nullopt;
}

}  // namespace loadgen
