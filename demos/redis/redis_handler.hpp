#pragma once
// RedisHandler is the Redis server as an actnet EventHandler: it parses each connection's
// commands, answers connection-level ones itself, and sends the rest to the keyspace shards
// (one Shard actor per loop; a key's shard is its hash modulo the shard count). A part whose
// shard lives on the connection's own loop runs there and then, by a direct call (no
// message); the others leave as one OpBatch per shard per on_traffic and come back as
// Answers through ConnRef::send. Replies leave in request order (ReplyQueue) and are written
// once per on_traffic or per Answers.
//
// It owns the shard refs (set in on_boot) and nothing per connection: that is the Session,
// kept as each Conn's context.

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

#include "connection_commands.hpp"
#include "shard.hpp"
#include "shard_messages.hpp"

namespace redis {

struct Session;

class RedisHandler final : public actnet::EventHandler, public actnet::Receives<Answers> {
 public:
  struct Settings {
    // Print "actnet-redis: serving redis://HOST:PORT" on stdout once listening.
    bool announce = false;
    // How often the ticker sends Sweep to every shard (the engine needs Options::ticker).
    std::chrono::milliseconds sweep_every{50};
  };
  RedisHandler() = default;
  explicit RedisHandler(Settings settings) : settings_(settings) {}

  // Supervisor thread.
  actnet::Action on_boot(actnet::Engine& engine) override;
  actnet::Tick on_tick() override;
  // The connection's loop.
  actnet::Action on_open(actnet::Conn& conn) override;
  actnet::Action on_traffic(actnet::Conn& conn) override;
  actnet::Action on_eof(actnet::Conn& conn) override;
  actnet::Action on_message(actnet::Conn& conn, Answers& answers) override;

 private:
  using Args = std::span<const std::string_view>;
  void dispatch(Session& s, Args args, std::int64_t now);
  void run_part(Session& s, std::size_t shard, PartRef id, Cmd cmd, Args words, std::int64_t now);
  void answer_now(Session& s, std::string_view bytes);
  void send_batches(Session& s);
  void recycle(Session& s, Answers& answers);
  void finish_output(actnet::Conn& conn, Session& s);
  std::size_t shard_of(std::string_view key) const noexcept {
    return std::hash<std::string_view>{}(key) % shards_.size();
  }

  Settings settings_;
  // Written once by on_boot before ready_ is released; read-only afterwards on every loop.
  std::vector<actnet::ActorRef<ShardMsg>> shards_;
  ServerFacts facts_;
  std::atomic<bool> ready_{false};
};

}  // namespace redis
