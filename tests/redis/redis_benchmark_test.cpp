// redis-benchmark drives the actnet-redis binary (2 loops, so half the connections reach
// their key's shard by message) with the standard command mix, without and with a 16-deep
// pipeline, and must finish every test without an error. redis-server runs the same load in
// the same test so the figures can be read side by side; they are printed, not asserted (a
// shared 2-core machine makes absolute numbers meaningless).

#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "redis/redis_tools.hpp"

using namespace redis_tools;

namespace {

const std::vector<std::string> kTests = {"PING_INLINE", "PING_MBULK", "SET",   "GET",
                                         "INCR",        "LPUSH",      "RPUSH", "LPOP",
                                         "RPOP",        "SADD",       "HSET",  "MSET (10 keys)"};

struct Figures {
  bool ok = false;
  std::vector<std::string> lines;  // "NAME: N requests per second ..." per test
  std::string raw;
};

// redis-benchmark -q redraws a progress line with '\r'; the last segment of each line is the
// result.
Figures bench(const TempDir& dir, int port, bool pipeline) {
  const std::string benchmark = require_program("redis-benchmark");
  std::vector<std::string> argv = {benchmark,
                                   "-h",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port),
                                   "-t",
                                   "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,mset",
                                   "-n",
                                   "20000",
                                   "-c",
                                   "50",
                                   "-q"};
  if (pipeline) argv.insert(argv.end(), {"-P", "16"});
  const Ran ran = run(dir, argv, {}, std::chrono::seconds(120));
  Figures f;
  f.ok = ran.exited_zero;
  f.raw = ran.out + ran.err;
  std::string line;
  for (char c : ran.out) {
    if (c == '\r') {
      line.clear();
    } else if (c == '\n') {
      if (line.find("requests per second") != std::string::npos) f.lines.push_back(line);
      line.clear();
    } else {
      line.push_back(c);
    }
  }
  return f;
}

void check_complete(const Figures& f) {
  INFO("redis-benchmark said:\n" << f.raw);
  CHECK(f.ok);
  CHECK(f.raw.find("ERR") == std::string::npos);
  REQUIRE(f.lines.size() == kTests.size());
  for (std::size_t i = 0; i < kTests.size(); ++i) {
    CHECK(f.lines[i].rfind(kTests[i] + ": ", 0) == 0);
    static const std::regex rps(": [0-9]+\\.[0-9]+ requests per second");
    CHECK(std::regex_search(f.lines[i], rps));
  }
}

}  // namespace

TEST_CASE(
    "redis-benchmark completes every test against actnet-redis, unpipelined and with -P 16, "
    "next to redis-server",
    "[redis][tools][slow]") {
  TempDir dir;
  int redis_port = 0, actnet_port = 0;
  auto redis = start_redis_server(dir, redis_port);
  auto actnet = start_actnet_redis(dir, ACTNET_REDIS_BINARY, 2, actnet_port);

  for (const bool pipeline : {false, true}) {
    const Figures ours = bench(dir, actnet_port, pipeline);
    const Figures theirs = bench(dir, redis_port, pipeline);
    check_complete(ours);
    check_complete(theirs);
    std::cout << "redis-benchmark -n 20000 -c 50" << (pipeline ? " -P 16" : "")
              << "  (actnet-redis --loops 2 | redis-server)\n";
    for (std::size_t i = 0; i < ours.lines.size() && i < theirs.lines.size(); ++i)
      std::cout << "  " << ours.lines[i] << "  |  " << theirs.lines[i] << "\n";
  }
}
