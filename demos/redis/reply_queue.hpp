#pragma once
// ReplyQueue keeps a connection's pipelined replies in request order. A command whose
// answer is not known at once (a part went to a shard on another loop) takes a numbered
// slot; its parts fill in as they come back, in any order, and a finished slot leaves only
// when every slot before it has left. Multi-key commands gather here: their parts' bytes
// and counts are combined into one reply (MGET's array, DEL's sum, MSET's OK...).
//
// Slots live in a ring reused from command to command, so their strings keep their
// capacity and the steady state allocates nothing.
//
// Thread: the connection's loop only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command_table.hpp"
#include "shard_messages.hpp"

namespace redis {

class ReplyQueue {
 public:
  // How a slot's parts make its reply.
  enum class Combine : std::uint8_t {
    raw,            // one part: its bytes are the reply
    array_by_part,  // MGET: an array of the parts' bytes, in part order
    array_counted,  // KEYS: an array of every part's bytes; the counts sum to its length
    sum,            // DEL, EXISTS, DBSIZE: an integer, the sum of the counts
    ok,             // MSET, FLUSHDB, FLUSHALL: +OK once all parts are done
  };
  static Combine combine_for(Cmd cmd) noexcept;

  bool idle() const noexcept { return size_ == 0; }

  // Opens the next slot; its number is the first part's PartRef::seq.
  std::uint64_t open(Combine combine, std::uint32_t parts);
  // Records one part's answer.
  void complete(PartRef id, std::string_view bytes, std::int64_t count);
  // Appends, in order, every reply that is finished and has no unfinished one before it.
  void flush_ready(std::string& out);

 private:
  struct Slot {
    Combine combine = Combine::raw;
    std::uint32_t parts = 0;
    std::uint32_t remaining = 0;
    std::int64_t count = 0;
    std::string bytes;
    std::vector<std::string> pieces;  // array_by_part only
  };
  Slot& at(std::uint64_t seq) noexcept {
    return ring_[(head_ + (seq - first_seq_)) & (ring_.size() - 1)];
  }
  void grow();

  std::vector<Slot> ring_ = std::vector<Slot>(8);  // a power of two
  std::size_t head_ = 0;                           // ring index of the oldest slot
  std::size_t size_ = 0;
  std::uint64_t first_seq_ = 0;  // the oldest slot's number
};

}  // namespace redis
