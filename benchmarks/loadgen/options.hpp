#pragma once
// The load generator's command line, parsed once by main() and read-only afterwards.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace loadgen {

struct Options {
  std::string host = "127.0.0.1";  // numeric loopback address or "localhost"
  int port = 0;
  std::string unix_path;  // when set, a Unix stream socket instead of host:port
  int connections = 100;
  std::size_t size = 512;  // bytes per message
  int pipeline = 1;        // messages in flight per connection
  double duration_s = 5;   // the measured window
  double warmup_s = 1;     // traffic before the window, not counted
  int threads = 2;
  pid_t server_pid = 0;  // whose /proc/PID/stat gives server CPU per message
  double hold_s = -1;    // >= 0: one echo per connection, report, then stay idle this long
};

/// Parses argv; prints usage and exits(2) on a bad command line. Main thread.
Options parse_options(int argc, char** argv);

}  // namespace loadgen
