// One shard's keyspace on its own, with a hand-driven clock: expiry is lazy on access and
// eager in sweep(), the multi-key parts report the counts the gathering side sums, types are
// enforced with WRONGTYPE, and glob patterns match as Redis's do.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "glob.hpp"
#include "keyspace.hpp"

using redis::Cmd;
using redis::Keyspace;

namespace {

struct Run {
  std::string out;
  std::int64_t count = 0;
};

Run exec(Keyspace& ks, Cmd cmd, std::vector<std::string_view> args, std::int64_t now) {
  Run r;
  ks.execute(cmd, args, now, r.out, r.count);
  return r;
}

}  // namespace

TEST_CASE("an expired key vanishes when read, and sweep drops the ones nobody reads") {
  Keyspace ks;
  CHECK(exec(ks, Cmd::set, {"a", "1", "PX", "100"}, 1000).out == "+OK\r\n");
  CHECK(exec(ks, Cmd::set, {"b", "1", "EX", "1"}, 1000).out == "+OK\r\n");
  CHECK(exec(ks, Cmd::set, {"c", "1"}, 1000).out == "+OK\r\n");
  CHECK(exec(ks, Cmd::pttl, {"a"}, 1040).out == ":60\r\n");
  CHECK(exec(ks, Cmd::ttl, {"b"}, 1040).out == ":1\r\n");
  CHECK(ks.sweep(1099) == 0);
  CHECK(exec(ks, Cmd::get, {"a"}, 1100).out == "$-1\r\n");  // lazily
  CHECK(ks.size() == 2);
  CHECK(ks.sweep(2000) == 1);  // b, by the sweep
  CHECK(ks.size() == 1);
  CHECK(exec(ks, Cmd::dbsize, {}, 2000).count == 1);
}

TEST_CASE("a key whose expiry was replaced or removed is not dropped by its old deadline") {
  Keyspace ks;
  exec(ks, Cmd::set, {"k", "v", "PX", "100"}, 0);
  CHECK(exec(ks, Cmd::persist, {"k"}, 10).out == ":1\r\n");
  exec(ks, Cmd::set, {"j", "v", "PX", "100"}, 0);
  CHECK(exec(ks, Cmd::pexpire, {"j", "1000"}, 10).out == ":1\r\n");
  CHECK(ks.sweep(500) == 0);
  CHECK(ks.size() == 2);
  CHECK(ks.sweep(1010) == 1);
}

TEST_CASE("the parts of DEL, EXISTS, MGET and DBSIZE report what the gatherer sums") {
  Keyspace ks;
  exec(ks, Cmd::mset_one, {"a", "1"}, 0);
  exec(ks, Cmd::lpush, {"l", "x"}, 0);
  CHECK(exec(ks, Cmd::exists_one, {"a"}, 0).count == 1);
  CHECK(exec(ks, Cmd::exists_one, {"zz"}, 0).count == 0);
  CHECK(exec(ks, Cmd::mget_one, {"a"}, 0).out == "$1\r\n1\r\n");
  CHECK(exec(ks, Cmd::mget_one, {"l"}, 0).out == "$-1\r\n");  // MGET: nil for another type
  CHECK(exec(ks, Cmd::del_one, {"a"}, 0).count == 1);
  CHECK(exec(ks, Cmd::del_one, {"a"}, 0).count == 0);
  CHECK(exec(ks, Cmd::dbsize, {}, 0).count == 1);
  const Run keys = exec(ks, Cmd::keys, {"*"}, 0);
  CHECK(keys.count == 1);
  CHECK(keys.out == "$1\r\nl\r\n");
}

TEST_CASE("commands on a key of another type answer WRONGTYPE and change nothing") {
  Keyspace ks;
  exec(ks, Cmd::sadd, {"s", "m"}, 0);
  const std::string wrongtype =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  for (Cmd cmd : {Cmd::get, Cmd::incr, Cmd::strlen, Cmd::llen, Cmd::hgetall, Cmd::lpop}) {
    CHECK(exec(ks, cmd, {"s"}, 0).out == wrongtype);
  }
  CHECK(exec(ks, Cmd::append, {"s", "x"}, 0).out == wrongtype);
  CHECK(exec(ks, Cmd::hset, {"s", "f", "v"}, 0).out == wrongtype);
  CHECK(exec(ks, Cmd::set, {"s", "v", "GET"}, 0).out == wrongtype);
  CHECK(exec(ks, Cmd::scard, {"s"}, 0).out == ":1\r\n");
  CHECK(exec(ks, Cmd::set, {"s", "v"}, 0).out == "+OK\r\n");  // SET overwrites any type
  CHECK(exec(ks, Cmd::get, {"s"}, 0).out == "$1\r\nv\r\n");
}

TEST_CASE("integer commands refuse non-integers and overflow with Redis's errors") {
  Keyspace ks;
  exec(ks, Cmd::set, {"n", " 1"}, 0);
  CHECK(exec(ks, Cmd::incr, {"n"}, 0).out == "-ERR value is not an integer or out of range\r\n");
  exec(ks, Cmd::set, {"n", "9223372036854775806"}, 0);
  CHECK(exec(ks, Cmd::incr, {"n"}, 0).out == ":9223372036854775807\r\n");
  CHECK(exec(ks, Cmd::incr, {"n"}, 0).out == "-ERR increment or decrement would overflow\r\n");
  CHECK(exec(ks, Cmd::decrby, {"m", "-9223372036854775808"}, 0).out ==
        "-ERR decrement would overflow\r\n");
}

TEST_CASE("small hashes list their fields in insertion order, as Redis's listpack does") {
  Keyspace ks;
  CHECK(exec(ks, Cmd::hset, {"h", "z", "1", "a", "2", "m", "3"}, 0).out == ":3\r\n");
  CHECK(exec(ks, Cmd::hdel, {"h", "a"}, 0).out == ":1\r\n");
  CHECK(exec(ks, Cmd::hgetall, {"h"}, 0).out ==
        "*4\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r\n$1\r\n3\r\n");
}

TEST_CASE("large sets and hashes stay correct once they switch to an index") {
  Keyspace ks;
  for (int i = 0; i < 1000; ++i)
    exec(ks, Cmd::sadd, {"s", std::to_string(i)}, 0);
  for (int i = 0; i < 1000; i += 2)
    CHECK(exec(ks, Cmd::srem, {"s", std::to_string(i)}, 0).out == ":1\r\n");
  CHECK(exec(ks, Cmd::scard, {"s"}, 0).out == ":500\r\n");
  CHECK(exec(ks, Cmd::sadd, {"s", "1"}, 0).out == ":0\r\n");
  CHECK(exec(ks, Cmd::sadd, {"s", "2"}, 0).out == ":1\r\n");
}

TEST_CASE("glob patterns match like Redis's stringmatch") {
  using redis::glob_match;
  CHECK(glob_match("*", ""));
  CHECK(glob_match("key:*", "key:12"));
  CHECK_FALSE(glob_match("key:*", "kez:12"));
  CHECK(glob_match("h?llo", "hello"));
  CHECK(glob_match("h[ae]llo", "hallo"));
  CHECK_FALSE(glob_match("h[^e]llo", "hello"));
  CHECK(glob_match("h[a-c]llo", "hbllo"));
  CHECK(glob_match("h\\*llo", "h*llo"));
  CHECK_FALSE(glob_match("h\\*llo", "hello"));
  CHECK(glob_match("*a*b*c*", "xxaxxbxxcxx"));
  CHECK_FALSE(glob_match("*a*b*c*", "xxaxxcxxbxx"));
  CHECK(glob_match("SAVE", "save", true));
  CHECK(glob_match(std::string(50, '*') + "x", std::string(10000, 'a') + "x"));
}
