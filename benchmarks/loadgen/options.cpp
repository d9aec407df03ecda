#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace loadgen {
namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-loadgen: %s\n"
               "usage: actnet-loadgen (--port P [--host H] | --unix PATH) [--connections N]\n"
               "         [--size BYTES] [--pipeline DEPTH] [--duration S] [--warmup S]\n"
               "         [--threads N] [--server-pid PID] [--hold S]\n",
               why);
  std::exit(2);
}

double positive(const char* text, const char* what, bool zero_ok = false) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || v < 0 || (!zero_ok && v == 0)) usage(what);
  return v;
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") usage("an echo load generator");
    if (i + 1 >= argc) usage("every option takes a value");
    const char* v = argv[++i];
    if (arg == "--host") {
      o.host = v;
    } else if (arg == "--port") {
      o.port = static_cast<int>(positive(v, "--port takes 1..65535"));
      if (o.port > 65535) usage("--port takes 1..65535");
    } else if (arg == "--unix") {
      o.unix_path = v;
    } else if (arg == "--connections") {
      o.connections = static_cast<int>(positive(v, "--connections takes a positive number"));
    } else if (arg == "--size") {
      o.size = static_cast<std::size_t>(positive(v, "--size takes a positive number"));
    } else if (arg == "--pipeline") {
      o.pipeline = static_cast<int>(positive(v, "--pipeline takes a positive number"));
    } else if (arg == "--duration") {
      o.duration_s = positive(v, "--duration takes seconds > 0");
    } else if (arg == "--warmup") {
      o.warmup_s = positive(v, "--warmup takes seconds >= 0", true);
    } else if (arg == "--threads") {
      o.threads = static_cast<int>(positive(v, "--threads takes a positive number"));
    } else if (arg == "--server-pid") {
      o.server_pid = static_cast<pid_t>(positive(v, "--server-pid takes a process id"));
    } else if (arg == "--hold") {
      o.hold_s = positive(v, "--hold takes seconds >= 0", true);
    } else {
      usage("unknown option");
    }
  }
  if (o.port == 0 && o.unix_path.empty()) usage("give --port or --unix");
  if (o.threads > o.connections) o.threads = o.connections;
  return o;
}

}  // namespace loadgen
