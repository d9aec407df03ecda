#include "command_table.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace redis {

namespace {

constexpr std::array kCommands = {
    CommandSpec{"ping", Cmd::ping, -1, Route::handler, 0},
    CommandSpec{"echo", Cmd::echo, 2, Route::handler, 0},
    CommandSpec{"select", Cmd::select, 2, Route::handler, 0},
    CommandSpec{"quit", Cmd::quit, -1, Route::handler, 0},
    CommandSpec{"info", Cmd::info, -1, Route::handler, 0},
    CommandSpec{"command", Cmd::command, -1, Route::handler, 0},
    CommandSpec{"config", Cmd::config, -2, Route::handler, 0},
    CommandSpec{"get", Cmd::get, 2, Route::one_key, 0},
    CommandSpec{"set", Cmd::set, -3, Route::one_key, 0},
    CommandSpec{"getset", Cmd::getset, 3, Route::one_key, 0},
    CommandSpec{"incr", Cmd::incr, 2, Route::one_key, 0},
    CommandSpec{"decr", Cmd::decr, 2, Route::one_key, 0},
    CommandSpec{"incrby", Cmd::incrby, 3, Route::one_key, 0},
    CommandSpec{"decrby", Cmd::decrby, 3, Route::one_key, 0},
    CommandSpec{"append", Cmd::append, 3, Route::one_key, 0},
    CommandSpec{"strlen", Cmd::strlen, 2, Route::one_key, 0},
    CommandSpec{"expire", Cmd::expire, -3, Route::one_key, 0},
    CommandSpec{"pexpire", Cmd::pexpire, -3, Route::one_key, 0},
    CommandSpec{"ttl", Cmd::ttl, 2, Route::one_key, 0},
    CommandSpec{"pttl", Cmd::pttl, 2, Route::one_key, 0},
    CommandSpec{"persist", Cmd::persist, 2, Route::one_key, 0},
    CommandSpec{"lpush", Cmd::lpush, -3, Route::one_key, 0},
    CommandSpec{"rpush", Cmd::rpush, -3, Route::one_key, 0},
    CommandSpec{"lpop", Cmd::lpop, -2, Route::one_key, 0},
    CommandSpec{"rpop", Cmd::rpop, -2, Route::one_key, 0},
    CommandSpec{"lrange", Cmd::lrange, 4, Route::one_key, 0},
    CommandSpec{"llen", Cmd::llen, 2, Route::one_key, 0},
    CommandSpec{"sadd", Cmd::sadd, -3, Route::one_key, 0},
    CommandSpec{"srem", Cmd::srem, -3, Route::one_key, 0},
    CommandSpec{"smembers", Cmd::smembers, 2, Route::one_key, 0},
    CommandSpec{"scard", Cmd::scard, 2, Route::one_key, 0},
    CommandSpec{"hset", Cmd::hset, -4, Route::one_key, 0},
    CommandSpec{"hget", Cmd::hget, 3, Route::one_key, 0},
    CommandSpec{"hdel", Cmd::hdel, -3, Route::one_key, 0},
    CommandSpec{"hgetall", Cmd::hgetall, 2, Route::one_key, 0},
    CommandSpec{"mget", Cmd::mget, -2, Route::each_key, 1},
    CommandSpec{"mset", Cmd::mset, -3, Route::each_key, 2},
    CommandSpec{"del", Cmd::del, -2, Route::each_key, 1},
    CommandSpec{"exists", Cmd::exists, -2, Route::each_key, 1},
    CommandSpec{"keys", Cmd::keys, 2, Route::all_shards, 0},
    CommandSpec{"dbsize", Cmd::dbsize, 1, Route::all_shards, 0},
    CommandSpec{"flushdb", Cmd::flushdb, -1, Route::all_shards, 0},
    CommandSpec{"flushall", Cmd::flushall, -1, Route::all_shards, 0},
};

}  // namespace

const CommandSpec* find_command(std::string_view name) {
  constexpr std::size_t kLongest = 16;
  if (name.size() > kLongest) return nullptr;
  char lower[kLongest];
  for (std::size_t i = 0; i < name.size(); ++i)
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  const std::string_view key(lower, name.size());
  // A linear scan over 43 short names, compared by length first, beats hashing here.
  for (const CommandSpec& spec : kCommands) {
    if (spec.name.size() == key.size() && spec.name == key) return &spec;
  }
  return nullptr;
}

std::span<const CommandSpec> all_commands() {
  return kCommands;
}

std::string unknown_command_error(std::span<const std::string_view> args) {
  std::string out("ERR unknown command '");
  out.append(args[0].substr(0, 128)).append("', with args beginning with: ");
  std::string listed;
  for (std::size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    listed.append(1, '\'').append(args[i].substr(0, 128 - listed.size())).append("' ");
  }
  return out.append(listed);
}

std::string arity_error(std::string_view name) {
  return std::string("ERR wrong number of arguments for '").append(name).append("' command");
}

}  // namespace redis
