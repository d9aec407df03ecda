// redis-cli runs one scripted session covering every command actnet-redis implements, first
// against Debian's redis-server, then against the actnet-redis binary (4 loops, so keys
// spread over 4 shards); the two outputs are compared command by command. Where the answers
// must legitimately differ (INFO's text, COMMAND's table, a TTL's last millisecond) only
// their shape is compared, and the script avoids orders Redis leaves unspecified (SMEMBERS
// of several members, KEYS matching several keys).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "redis/redis_tools.hpp"

using namespace redis_tools;

namespace {

enum class Compare { exact, differs, ttl };

struct Step {
  std::string command;
  Compare compare = Compare::exact;
};

const std::vector<Step>& script() {
  static const std::vector<Step> steps = {
      {"PING"},
      {"PING hello"},
      {"ECHO \"two words\""},
      {"SELECT 0"},
      {"FLUSHALL"},
      {"SET k1 v1"},
      {"GET k1"},
      {"GET missing"},
      {"SET k1 v2 NX"},
      {"SET k1 v3 XX"},
      {"SET fresh v XX"},
      {"SET fresh v NX"},
      {"SET k1 v4 GET"},
      {"SET nokey v GET"},
      {"SET k1 v5 NX GET"},
      {"SET k1 v EX 0"},
      {"SET k1 v EX abc"},
      {"SET k1 v NX XX"},
      {"SET k1 v BOGUS"},
      {"SET ex1 v EX 100"},
      {"TTL ex1"},
      {"SET px1 v PX 100000"},
      {"PTTL px1", Compare::ttl},
      {"TTL px1", Compare::ttl},
      {"GETSET k1 newer"},
      {"GETSET gs1 first"},
      {"GET gs1"},
      {"SET n 10"},
      {"INCR n"},
      {"DECR n"},
      {"INCRBY n 32"},
      {"DECRBY n 2"},
      {"INCR newcounter"},
      {"INCRBY n notanumber"},
      {"INCR k1"},
      {"SET big 9223372036854775807"},
      {"INCR big"},
      {"APPEND k1 -tail"},
      {"APPEND newappend abc"},
      {"STRLEN k1"},
      {"STRLEN missing"},
      {"MSET m1 a m2 b m3 c"},
      {"MGET m1 m2 missing m3"},
      {"MSET m1"},
      {"EXISTS m1 m2 missing m1"},
      {"DEL m1 missing m2"},
      {"EXISTS m1 m2 m3"},
      {"EXPIRE m3 100"},
      {"TTL m3"},
      {"PEXPIRE m3 50000"},
      {"PTTL m3", Compare::ttl},
      {"PERSIST m3"},
      {"PERSIST m3"},
      {"TTL m3"},
      {"TTL missing"},
      {"PTTL missing"},
      {"EXPIRE missing 10"},
      {"EXPIRE m3 notanumber"},
      {"EXPIRE m3 -1"},
      {"EXISTS m3"},
      {"LPUSH list a b c"},
      {"RPUSH list x y"},
      {"LLEN list"},
      {"LRANGE list 0 -1"},
      {"LRANGE list 1 2"},
      {"LRANGE list -2 -1"},
      {"LRANGE list 5 10"},
      {"LPOP list"},
      {"RPOP list"},
      {"LPOP list 2"},
      {"RPOP missing"},
      {"LPOP list -1"},
      {"LRANGE list 0 -1"},
      {"RPOP list"},
      {"EXISTS list"},
      {"LPUSH k1 x"},
      {"GET list"},
      {"SADD set a b c a"},
      {"SCARD set"},
      {"SREM set a missing"},
      {"SREM set b"},
      {"SMEMBERS set"},
      {"SMEMBERS missing"},
      {"SADD k1 x"},
      {"HSET hash f1 v1 f2 v2"},
      {"HSET hash f1 changed f3 v3"},
      {"HGET hash f1"},
      {"HGET hash missing"},
      {"HGETALL hash"},
      {"HDEL hash f2 missing"},
      {"HGETALL hash"},
      {"HSET hash odd"},
      {"HGET k1 f"},
      {"FLUSHDB"},
      {"SET keys:one 1"},
      {"KEYS keys:*"},
      {"KEYS nomatch*"},
      {"KEYS k?ys:[a-p]ne"},
      {"DBSIZE"},
      {"FLUSHALL"},
      {"DBSIZE"},
      {"CONFIG GET appendonly"},
      {"CONFIG GET save"},
      {"NOSUCHCOMMAND a b"},
      {"GET"},
      {"GET a b"},
      {"SET onlykey"},
      {"INFO", Compare::differs},
      {"COMMAND COUNT", Compare::differs},
      {"COMMAND", Compare::differs},
  };
  return steps;
}

std::string marker(std::size_t i) {
  return "@@step-" + std::to_string(i) + "@@";
}

// The script as redis-cli reads it: each command followed by an ECHO of its marker, so the
// output splits back into one block per command.
std::string script_input() {
  std::string input;
  for (std::size_t i = 0; i < script().size(); ++i)
    input.append(script()[i].command).append("\n").append("ECHO ").append(marker(i)).append("\n");
  return input.append("QUIT\n");
}

std::vector<std::string> blocks(const std::string& out) {
  std::vector<std::string> result;
  std::size_t from = 0;
  for (std::size_t i = 0; i < script().size(); ++i) {
    const std::string m = marker(i) + "\n";
    const auto at = out.find(m, from);
    if (at == std::string::npos) break;
    result.push_back(out.substr(from, at - from));
    from = at + m.size();
  }
  result.push_back(out.substr(from));  // what QUIT printed
  return result;
}

std::vector<std::string> session(const TempDir& dir, const std::string& cli, int port) {
  const Ran ran = run(dir, {cli, "-h", "127.0.0.1", "-p", std::to_string(port)}, script_input());
  INFO("redis-cli stderr: " << ran.err);
  CHECK(ran.exited_zero);
  return blocks(ran.out);
}

}  // namespace

TEST_CASE(
    "a redis-cli session over every command gets the same answers from actnet-redis as from "
    "redis-server",
    "[redis][tools]") {
  const std::string cli = require_program("redis-cli");
  TempDir dir;
  int redis_port = 0, actnet_port = 0;
  auto redis = start_redis_server(dir, redis_port);
  auto actnet = start_actnet_redis(dir, ACTNET_REDIS_BINARY, 4, actnet_port);

  const std::vector<std::string> expected = session(dir, cli, redis_port);
  const std::vector<std::string> got = session(dir, cli, actnet_port);
  REQUIRE(expected.size() == script().size() + 1);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < script().size(); ++i) {
    const Step& step = script()[i];
    INFO("step " << i << ": " << step.command);
    switch (step.compare) {
      case Compare::exact:
        CHECK(got[i] == expected[i]);
        break;
      case Compare::ttl: {
        // Both positive and within a second of each other: the clocks run on between servers.
        const long want = std::stol(expected[i]), have = std::stol(got[i]);
        CHECK(have > 0);
        CHECK(std::labs(want - have) <= 1000);
        break;
      }
      case Compare::differs:
        CHECK(!got[i].empty());
        CHECK(got[i].rfind("ERR", 0) == std::string::npos);
        break;
    }
  }
  CHECK(got.back() == expected.back());  // QUIT: redis-cli prints nothing and exits
}

TEST_CASE("actnet-redis announces the port it really bound and exits 0 on SIGTERM and SIGINT",
          "[redis][tools]") {
  const std::string cli = require_program("redis-cli");
  for (const int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    int port = 0;
    auto actnet = start_actnet_redis(dir, ACTNET_REDIS_BINARY, 2, port);
    CHECK(port > 0);
    CHECK(run(dir, {cli, "-h", "127.0.0.1", "-p", std::to_string(port), "PING"}).out == "PONG\n");
    actnet->signal(sig);
    const std::optional<int> status = actnet->wait_for(kLimit);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
  }
}
