#pragma once
// The commands that touch no key — PING, ECHO, SELECT, QUIT, INFO, COMMAND, CONFIG — answered
// by the connection's own handler with no shard involved. INFO, COMMAND and CONFIG say just
// enough for redis-cli and redis-benchmark (which read CONFIG GET save/appendonly at start).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "command_table.hpp"

namespace redis {

struct ServerFacts {
  std::size_t loops = 1;
  std::size_t shards = 1;
  unsigned port = 0;
};

// Any thread: appends the reply to `args` (a handler-routed command, arity checked) to `out`.
void run_connection_command(const CommandSpec& spec, std::span<const std::string_view> args,
                            const ServerFacts& facts, std::string& out);

}  // namespace redis
