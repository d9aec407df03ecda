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

struct Answer {
  PartRef id;
  std::size_t offset, length;  // the reply bytes in AnswerBuffers::arena
  std::int64_t count;          // the part's number for gathering (see Keyspace::execute)
};

// The command parts bound for one shard: every word packed in one string.
struct RequestBuffers {
  std::string arena;                                       // every word, back to back
  std::vector<std::pair<std::size_t, std::size_t>> words;  // offset, length in arena
  std::vector<BatchOp> ops;

  bool empty() const noexcept { return ops.empty(); }
  bool has_storage() const noexcept { return arena.capacity() != 0 || ops.capacity() != 0; }
  void clear() noexcept {
    arena.clear();
    words.clear();
    ops.clear();
  }
  void add(PartRef id, Cmd cmd, std::span<const std::string_view> args) {
    ops.push_back({id, cmd, static_cast<std::uint32_t>(words.size()),
                   static_cast<std::uint32_t>(args.size())});
    for (std::string_view w : args) {
      words.emplace_back(arena.size(), w.size());
      arena.append(w);
    }
  }
};

// The replies to one RequestBuffers, packed the same way.
struct AnswerBuffers {
  std::string arena;
  std::vector<Answer> items;

  bool has_storage() const noexcept { return arena.capacity() != 0 || items.capacity() != 0; }
  void clear() noexcept {
    arena.clear();
    items.clear();
  }
};

// Connection → shard. The buffers ping-pong: a batch carries (empty) answer storage the
// connection got back last time, and the Answers carry the spent request storage home, so a
// connection that keeps talking to a shard reuses the same few buffers instead of
// allocating new ones for every batch.
struct OpBatch {
  actnet::ConnRef reply_to;
  RequestBuffers request;
  AnswerBuffers answers;  // storage to fill, empty
};

// Ticker: drop the keys whose expiry has passed.
struct Sweep {};

using ShardMsg = std::variant<OpBatch, Sweep>;

// Shard → connection, by ConnRef::send.
struct Answers {
  std::uint32_t shard = 0;
  AnswerBuffers answers;
  RequestBuffers spent;  // the request's storage, returned for reuse
};

static_assert(std::is_nothrow_move_constructible_v<ShardMsg>);
static_assert(std::is_nothrow_move_constructible_v<Answers>);

}  // namespace redis
