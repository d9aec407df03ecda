#pragma once
// Keyspace is one shard's share of the database: the keys whose hash falls to this shard,
// their values (string, list, set, hash) and their expiry times. It is plain single-threaded
// data with no knowledge of actors or sockets, so the shard actor that owns it, the handler
// that reaches its own loop's shard directly, and the unit tests all run the same code.
// Expiry is lazy on access plus sweep(), which drops keys whose time has passed.
//
// Thread: the owning shard's loop only (it has no lock; the owner guarantees that).

#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "command_table.hpp"
#include "small_table.hpp"

namespace redis {

class Keyspace {
 public:
  using Args = std::span<const std::string_view>;

  // Runs one command part. `args` are the part's words without the command name (a key and
  // its arguments; for the *_one parts just their key, or key and value). The reply is
  // appended to `out` in RESP; `count` receives the part's number for the gathering side
  // (keys deleted or found, keys listed, keys held). `now_ms` is the monotonic clock.
  void execute(Cmd cmd, Args args, std::int64_t now_ms, std::string& out, std::int64_t& count);

  // Drops up to `budget` keys whose expiry has passed; returns how many it dropped.
  std::size_t sweep(std::int64_t now_ms, std::size_t budget = 10'000);

  std::size_t size() const noexcept { return map_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using List = std::deque<std::string>;
  using Value = std::variant<std::string, List, SmallTable, SmallTable>;  // string, list, set, hash
  static constexpr std::size_t kString = 0, kList = 1, kSet = 2, kHash = 3;
  struct Entry {
    Value value;
    std::int64_t expire_at = 0;  // monotonic ms; 0: never
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  Entry* find(std::string_view key, std::int64_t now);
  Entry& create(std::string_view key, std::size_t kind);
  void set_expiry(std::string_view key, Entry& e, std::int64_t at);
  void erase(std::string_view key);

  void cmd_set(Args a, std::int64_t now, std::string& out);
  void cmd_incr(std::string_view key, std::int64_t by, std::int64_t now, std::string& out);
  void cmd_expire(Args a, std::int64_t now, std::int64_t unit, std::string_view name,
                  std::string& out);
  void cmd_ttl(std::string_view key, std::int64_t now, bool ms, std::string& out);
  void cmd_push(Args a, std::int64_t now, bool left, std::string& out);
  void cmd_pop(Args a, std::int64_t now, bool left, std::string& out);
  void cmd_lrange(Args a, std::int64_t now, std::string& out);
  void cmd_keys(std::string_view pattern, std::int64_t now, std::string& out, std::int64_t& count);

  Map map_;
  // (expiry, key) for every expiry ever set; an entry whose key has since changed its
  // expiry is stale and skipped when it comes up.
  using Due = std::pair<std::int64_t, std::string>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
};

}  // namespace redis
