#pragma once
// The command table: every command the server knows, its arity in Redis's convention and how
// it is routed to the keyspace shards. It exists so that the handler checks names and
// argument counts in one place, before any work is sent anywhere, and answers with Redis's
// own error text.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace redis {

enum class Cmd : std::uint8_t {
  // answered by the connection's handler, no key
  ping,
  echo,
  select,
  quit,
  info,
  command,
  config,
  // one key: args[1] picks the shard
  get,
  set,
  getset,
  incr,
  decr,
  incrby,
  decrby,
  append,
  strlen,
  expire,
  pexpire,
  ttl,
  pttl,
  persist,
  lpush,
  rpush,
  lpop,
  rpop,
  lrange,
  llen,
  sadd,
  srem,
  smembers,
  scard,
  hset,
  hget,
  hdel,
  hgetall,
  // several keys, scattered to their shards and gathered
  mget,
  mset,
  del,
  exists,
  // every shard
  keys,
  dbsize,
  flushdb,
  flushall,
  // the per-key parts of the multi-key commands, as shards run them
  mget_one,
  mset_one,
  del_one,
  exists_one,
};

enum class Route : std::uint8_t {
  handler,     // no keyspace access
  one_key,     // the shard of args[1]
  each_key,    // every `step` arguments from args[1] form one part, on its key's shard
  all_shards,  // one part per shard
};

struct CommandSpec {
  std::string_view name;  // lower case, as Redis names it in errors
  Cmd cmd;
  int arity;  // Redis's: n means exactly n words, -n at least n
  Route route;
  int step;  // each_key: words per part
};

// Any thread: the spec for `name` (any case), or nullptr.
const CommandSpec* find_command(std::string_view name);

// Any thread: every command, for COMMAND and COMMAND COUNT.
std::span<const CommandSpec> all_commands();

// Any thread: whether `argc` words fit the spec's arity.
inline bool arity_ok(const CommandSpec& spec, std::size_t argc) {
  const auto n = static_cast<long>(argc);
  return spec.arity >= 0 ? n == spec.arity : n >= -spec.arity;
}

// Any thread: Redis's error texts for a command it does not know or miscounted.
std::string unknown_command_error(std::span<const std::string_view> args);
std::string arity_error(std::string_view name);

}  // namespace redis
