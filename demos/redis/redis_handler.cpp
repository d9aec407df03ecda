#include "redis_handler.hpp"

#include <cstdio>

#include "resp_reply.hpp"
#include "session.hpp"

namespace redis {

actnet::Action RedisHandler::on_boot(actnet::Engine& engine) {
  const std::size_t loops = engine.loops();
  shards_.reserve(loops);
  for (std::size_t i = 0; i < loops; ++i)
    shards_.push_back(engine.spawn_on<Shard>(i, i));
  const auto addresses = engine.listen_addresses();
  facts_ = {loops, shards_.size(), addresses.empty() ? 0u : addresses.front().port()};
  // Release: a loop that sees ready_ also sees shards_ and facts_ complete.
  ready_.store(true, std::memory_order_release);
  if (settings_.announce) {
    for (const auto& address : addresses)
      std::printf("actnet-redis: serving redis://%s\n", address.to_string().c_str());
    std::fflush(stdout);
  }
  return actnet::Action::none;
}

actnet::Tick RedisHandler::on_tick() {
  if (ready_.load(std::memory_order_acquire)) {
    for (const auto& shard : shards_)
      (void)shard.send(Sweep{});
  }
  return {settings_.sweep_every};
}

actnet::Action RedisHandler::on_open(actnet::Conn& conn) {
  // shards_ may still be filling (on_boot runs concurrently with the first connections):
  // on_traffic sizes the batches once ready_ says the shards exist.
  conn.emplace_context<Session>(conn.ref());
  return actnet::Action::none;
}

actnet::Action RedisHandler::on_traffic(actnet::Conn& conn) {
  Session* s = conn.context<Session>();
  if (s == nullptr) return actnet::Action::close;
  if (!ready_.load(std::memory_order_acquire)) {
    // A client faster than on_boot: come back through the mailbox, where the shards'
    // placement is queued, until they exist. Happens only in the first instants.
    (void)s->self.wake();
    return actnet::Action::none;
  }
  if (s->outgoing.size() != shards_.size()) {
    s->outgoing.resize(shards_.size());
    s->spare.resize(shards_.size());
  }
  if (s->closing) {
    conn.discard();
    return actnet::Action::none;
  }
  const std::string_view in = conn.peek();
  std::size_t used = 0;
  const std::int64_t now = Shard::now_ms();
  while (!s->closing) {
    std::size_t n = 0;
    const RespParser::Status status = s->parser.parse(in.substr(used), n);
    used += n;
    if (status == RespParser::Status::need_more) break;
    if (status == RespParser::Status::error) {
      std::string message("ERR ");
      message.append(s->parser.error());
      s->scratch.clear();
      reply::error(s->scratch, message);
      answer_now(*s, s->scratch);
      s->closing = true;
      break;
    }
    dispatch(*s, s->parser.args(), now);
  }
  if (s->closing) {
    conn.discard();
  } else {
    conn.discard(used);
  }
  send_batches(*s);
  finish_output(conn, *s);
  return actnet::Action::none;
}

actnet::Action RedisHandler::on_eof(actnet::Conn& conn) {
  // Answer what was asked before the EOF, then shut our side: the connection then closes by
  // itself (both directions done).
  Session* s = conn.context<Session>();
  if (s == nullptr) return actnet::Action::close;
  s->closing = true;
  finish_output(conn, *s);
  return actnet::Action::none;
}

actnet::Action RedisHandler::on_message(actnet::Conn& conn, Answers& answers) {
  Session* s = conn.context<Session>();
  if (s == nullptr) return actnet::Action::none;
  for (const Answer& a : answers.answers.items) {
    s->replies.complete(a.id, std::string_view(answers.answers.arena).substr(a.offset, a.length),
                        a.count);
  }
  finish_output(conn, *s);
  recycle(*s, answers);
  return actnet::Action::none;
}

void RedisHandler::recycle(Session& s, Answers& answers) {
  // Keep one set of buffers per shard, and none grown past kKeep by a huge batch.
  constexpr std::size_t kKeep = 256 * 1024;
  if (answers.shard >= s.outgoing.size()) return;
  RequestBuffers& request = s.outgoing[answers.shard];
  if (!request.has_storage() && answers.spent.arena.capacity() <= kKeep) {
    request = std::move(answers.spent);
    request.clear();
  }
  AnswerBuffers& spare = s.spare[answers.shard];
  if (!spare.has_storage() && answers.answers.arena.capacity() <= kKeep) {
    spare = std::move(answers.answers);
    spare.clear();
  }
}

void RedisHandler::answer_now(Session& s, std::string_view bytes) {
  if (s.replies.idle()) {
    s.out.append(bytes);
    return;
  }
  const std::uint64_t seq = s.replies.open(ReplyQueue::Combine::raw, 1);
  s.replies.complete({seq, 0}, bytes, 0);
}

void RedisHandler::dispatch(Session& s, Args args, std::int64_t now) {
  const CommandSpec* spec = find_command(args[0]);
  if (spec == nullptr || !arity_ok(*spec, args.size())) {
    s.scratch.clear();
    reply::error(s.scratch,
                 spec == nullptr ? unknown_command_error(args) : arity_error(spec->name));
    return answer_now(s, s.scratch);
  }
  switch (spec->route) {
    case Route::handler: {
      s.scratch.clear();
      run_connection_command(*spec, args, facts_, s.scratch);
      answer_now(s, s.scratch);
      if (spec->cmd == Cmd::quit) s.closing = true;
      return;
    }
    case Route::one_key: {
      const std::size_t shard = shard_of(args[1]);
      Keyspace* local = Shard::local(shard);
      std::int64_t count = 0;
      if (local != nullptr && s.replies.idle()) {  // the fast path: straight to the output
        local->execute(spec->cmd, args.subspan(1), now, s.out, count);
        return;
      }
      const std::uint64_t seq = s.replies.open(ReplyQueue::Combine::raw, 1);
      return run_part(s, shard, {seq, 0}, spec->cmd, args.subspan(1), now);
    }
    case Route::each_key: {
      const std::size_t step = static_cast<std::size_t>(spec->step);
      if ((args.size() - 1) % step != 0) {
        s.scratch.clear();
        reply::error(s.scratch, arity_error(spec->name));
        return answer_now(s, s.scratch);
      }
      const Cmd part_cmd = spec->cmd == Cmd::mget   ? Cmd::mget_one
                           : spec->cmd == Cmd::mset ? Cmd::mset_one
                           : spec->cmd == Cmd::del  ? Cmd::del_one
                                                    : Cmd::exists_one;
      const auto parts = static_cast<std::uint32_t>((args.size() - 1) / step);
      const std::uint64_t seq = s.replies.open(ReplyQueue::combine_for(spec->cmd), parts);
      for (std::uint32_t p = 0; p < parts; ++p) {
        const Args words = args.subspan(1 + p * step, step);
        run_part(s, shard_of(words[0]), {seq, p}, part_cmd, words, now);
      }
      return;
    }
    case Route::all_shards: {
      if ((spec->cmd == Cmd::flushdb || spec->cmd == Cmd::flushall) && args.size() > 1) {
        const std::string_view mode = args[1];
        const bool known = args.size() == 2 &&
                           (mode == "ASYNC" || mode == "async" || mode == "SYNC" || mode == "sync");
        if (!known) {
          s.scratch.clear();
          reply::error(s.scratch, reply::kSyntax);
          return answer_now(s, s.scratch);
        }
      }
      const auto parts = static_cast<std::uint32_t>(shards_.size());
      const std::uint64_t seq = s.replies.open(ReplyQueue::combine_for(spec->cmd), parts);
      for (std::uint32_t p = 0; p < parts; ++p)
        run_part(s, p, {seq, p}, spec->cmd, args.subspan(1), now);
      return;
    }
  }
}

void RedisHandler::run_part(Session& s, std::size_t shard, PartRef id, Cmd cmd, Args words,
                            std::int64_t now) {
  if (Keyspace* local = Shard::local(shard)) {
    std::int64_t count = 0;
    s.scratch.clear();
    local->execute(cmd, words, now, s.scratch, count);
    s.replies.complete(id, s.scratch, count);
    return;
  }
  s.outgoing[shard].add(id, cmd, words);
}

void RedisHandler::send_batches(Session& s) {
  for (std::size_t i = 0; i < s.outgoing.size(); ++i) {
    if (s.outgoing[i].empty()) continue;
    OpBatch batch{s.self, std::move(s.outgoing[i]), std::move(s.spare[i])};
    s.outgoing[i] = RequestBuffers{};
    s.spare[i] = AnswerBuffers{};
    // A failed send means the engine is stopping: the connection closes with it.
    (void)shards_[i].send(std::move(batch));
  }
}

void RedisHandler::finish_output(actnet::Conn& conn, Session& s) {
  s.replies.flush_ready(s.out);
  if (!s.out.empty()) {
    conn.write(s.out);
    s.out.clear();
    if (s.out.capacity() > 1024 * 1024) std::string().swap(s.out);  // after a huge reply
  }
  if (s.closing && s.replies.idle() && !s.shut_down) {
    s.shut_down = true;
    conn.shutdown_write([self = s.self](std::error_code) { (void)self.close(); });
  }
}

}  // namespace redis
