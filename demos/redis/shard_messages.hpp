#pragma once
// The messages between connections and keyspace shards. A connection gathers every command
// part bound for one shard during one on_traffic into a single OpBatch (so a pipeline of 16
// commands costs one mailbox message per shard, not 16), and the shard answers the whole
// batch with one Answers sent back to the connection. Words and replies travel packed in one
// string each, so a batch costs a few allocations however many commands it carries.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <actnet/actnet.hpp>

#include "command_table.hpp"

namespace redis {

struct PartRef {
  std::uint64_t seq;   // the command's number on its connection
  std::uint32_t part;  // which part of it (0 for single-key commands)
};

struct BatchOp {
  PartRef id;
  Cmd cmd;
  std::uint32_t first_word;  // into OpBatch::words
  std::uint32_t word_count;
};

struct OpBatch {
  actnet::ConnRef reply_to;
  std::string arena;                                       // every word, back to back
  std::vector<std::pair<std::size_t, std::size_t>> words;  // offset, length in arena
  std::vector<BatchOp> ops;

  bool empty() const noexcept { return ops.empty(); }
  void add(PartRef id, Cmd cmd, std::span<const std::string_view> args) {
    ops.push_back({id, cmd, static_cast<std::uint32_t>(words.size()),
                   static_cast<std::uint32_t>(args.size())});
    for (std::string_view w : args) {
      words.emplace_back(arena.size(), w.size());
      arena.append(w);
    }
  }
};

// Ticker: drop the keys whose expiry has passed.
struct Sweep {};

using ShardMsg = std::variant<OpBatch, Sweep>;

struct Answer {
  PartRef id;
  std::size_t offset, length;  // the reply bytes in Answers::arena
  std::int64_t count;          // the part's number for gathering (see Keyspace::execute)
};

struct Answers {
  std::string arena;
  std::vector<Answer> items;
};

static_assert(std::is_nothrow_move_constructible_v<ShardMsg>);
static_assert(std::is_nothrow_move_constructible_v<Answers>);

}  // namespace redis
