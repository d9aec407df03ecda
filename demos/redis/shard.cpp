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
  Answers answers{static_cast<std::uint32_t>(index_), std::move(batch.answers), {}};
  answers.answers.clear();
  AnswerBuffers& out = answers.answers;
  const RequestBuffers& request = batch.request;
  out.items.reserve(request.ops.size());
  for (const BatchOp& op : request.ops) {
    views_.clear();
    for (std::uint32_t w = op.first_word; w < op.first_word + op.word_count; ++w) {
      views_.emplace_back(request.arena.data() + request.words[w].first, request.words[w].second);
    }
    const std::size_t offset = out.arena.size();
    std::int64_t count = 0;
    keyspace_.execute(op.cmd, views_, now, out.arena, count);
    out.items.push_back({op.id, offset, out.arena.size() - offset, count});
  }
  answers.spent = std::move(batch.request);
  // A connection that closed meanwhile fails the send cleanly; nobody waits for it.
  (void)batch.reply_to.send(std::move(answers));
}

}  // namespace redis
