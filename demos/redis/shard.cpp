#include "shard.hpp"

#include <chrono>
#include <variant>

namespace redis {

namespace {
// The shard this thread hosts. One shard per loop: set on start, cleared on stop, read by
// the handler on the same thread only — it is never shared across threads.
thread_local Shard* tl_shard = nullptr;
thread_local Keyspace* tl_keyspace = nullptr;
thread_local std::size_t tl_index = 0;
}  // namespace

Keyspace* Shard::local(std::size_t index) noexcept {
  return tl_shard != nullptr && tl_index == index ? tl_keyspace : nullptr;
}

std::int64_t Shard::now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Shard::on_start() {
  tl_shard = this;
  tl_keyspace = &keyspace_;
  tl_index = index_;
}

void Shard::on_stop() {
  if (tl_shard == this) {
    tl_shard = nullptr;
    tl_keyspace = nullptr;
  }
}

void Shard::receive(ShardMsg& msg) {
  if (std::holds_alternative<Sweep>(msg)) {
    keyspace_.sweep(now_ms());
    return;
  }
  OpBatch& batch = std::get<OpBatch>(msg);
  const std::int64_t now = now_ms();
  Answers answers;
  answers.items.reserve(batch.ops.size());
  for (const BatchOp& op : batch.ops) {
    views_.clear();
    for (std::uint32_t w = op.first_word; w < op.first_word + op.word_count; ++w) {
      views_.emplace_back(batch.arena.data() + batch.words[w].first, batch.words[w].second);
    }
    const std::size_t offset = answers.arena.size();
    std::int64_t count = 0;
    keyspace_.execute(op.cmd, views_, now, answers.arena, count);
    answers.items.push_back({op.id, offset, answers.arena.size() - offset, count});
  }
  // A connection that closed meanwhile fails the send cleanly; nobody waits for it.
  (void)batch.reply_to.send(std::move(answers));
}

}  // namespace redis
