#pragma once
// Shard is the actor that owns one Keyspace: every key whose hash falls to it lives here and
// is touched only on the shard's loop. Connections on other loops reach it with OpBatch
// messages and get Answers back; a connection on the shard's own loop may call its Keyspace
// directly through Shard::local() (same thread, so no message and no lock), which is what
// makes a command for a local key as cheap as a function call.

#include <cstddef>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

#include "keyspace.hpp"
#include "shard_messages.hpp"

namespace redis {

class Shard final : public actnet::Actor<ShardMsg> {
 public:
  explicit Shard(std::size_t index) : index_(index) {}

  // Host loop: runs a batch and answers it, or sweeps.
  void receive(ShardMsg& msg) override;

  // Any thread: the keyspace of shard `index` if the calling thread is the loop hosting it,
  // else nullptr. What it returns may be used only on this thread, and only until the
  // current callback returns (the shard stops with its loop).
  static Keyspace* local(std::size_t index) noexcept;

  // Any thread: milliseconds on the monotonic clock every shard uses for expiry.
  static std::int64_t now_ms() noexcept;

 protected:
  void on_start() override;
  void on_stop() override;

 private:
  std::size_t index_;
  Keyspace keyspace_;
  std::vector<std::string_view> views_;  // reused per op
};

}  // namespace redis
