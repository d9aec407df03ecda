#include "keyspace.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "glob.hpp"
#include "resp_reply.hpp"

namespace redis {

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// Redis's string2ll: optional '-', digits, no spaces or leading zeros, within int64.
bool to_int(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && (s[0] == '0' || (s[0] == '-' && s[1] == '0'))) return false;
  if (s[0] == '+') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

void expire_error(std::string& out, std::string_view name) {
  reply::error(out, std::string("ERR invalid expire time in '").append(name).append("' command"));
}

}  // namespace

Keyspace::Entry* Keyspace::find(std::string_view key, std::int64_t now) {
  const auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (it->second.expire_at != 0 && it->second.expire_at <= now) {
    map_.erase(it);
    return nullptr;
  }
  return &it->second;
}

Keyspace::Entry& Keyspace::create(std::string_view key, std::size_t kind) {
  Entry& e = map_[std::string(key)];
  switch (kind) {
    case kString:
      e.value.emplace<kString>();
      break;
    case kList:
      e.value.emplace<kList>();
      break;
    case kSet:
      e.value.emplace<kSet>();
      break;
    default:
      e.value.emplace<kHash>();
      break;
  }
  e.expire_at = 0;
  return e;
}

void Keyspace::set_expiry(std::string_view key, Entry& e, std::int64_t at) {
  e.expire_at = at;
  if (at != 0) due_.emplace(at, std::string(key));
}

void Keyspace::erase(std::string_view key) {
  const auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
}

std::size_t Keyspace::sweep(std::int64_t now_ms, std::size_t budget) {
  std::size_t dropped = 0;
  while (!due_.empty() && due_.top().first <= now_ms && budget-- > 0) {
    const auto it = map_.find(due_.top().second);
    if (it != map_.end() && it->second.expire_at != 0 && it->second.expire_at <= now_ms) {
      map_.erase(it);
      ++dropped;
    }
    due_.pop();
  }
  return dropped;
}

void Keyspace::execute(Cmd cmd, Args a, std::int64_t now, std::string& out, std::int64_t& count) {
  count = 0;
  switch (cmd) {
    case Cmd::get:
    case Cmd::mget_one: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::nil(out);
      if (e->value.index() != kString) {
        return cmd == Cmd::get ? reply::error(out, reply::kWrongType) : reply::nil(out);
      }
      return reply::bulk(out, std::get<kString>(e->value));
    }
    case Cmd::set:
      return cmd_set(a, now, out);
    case Cmd::mset_one: {
      Entry& e = create(a[0], kString);
      std::get<kString>(e.value).assign(a[1]);
      return;
    }
    case Cmd::getset: {
      Entry* e = find(a[0], now);
      if (e != nullptr && e->value.index() != kString) return reply::error(out, reply::kWrongType);
      if (e == nullptr) {
        reply::nil(out);
        e = &create(a[0], kString);
      } else {
        reply::bulk(out, std::get<kString>(e->value));
        e->expire_at = 0;
      }
      std::get<kString>(e->value).assign(a[1]);
      return;
    }
    case Cmd::incr:
      return cmd_incr(a[0], 1, now, out);
    case Cmd::decr:
      return cmd_incr(a[0], -1, now, out);
    case Cmd::incrby:
    case Cmd::decrby: {
      std::int64_t by = 0;
      if (!to_int(a[1], by)) return reply::error(out, reply::kNotInteger);
      if (cmd == Cmd::decrby) {
        if (by == kMin) return reply::error(out, "ERR decrement would overflow");
        by = -by;
      }
      return cmd_incr(a[0], by, now, out);
    }
    case Cmd::append: {
      Entry* e = find(a[0], now);
      if (e != nullptr && e->value.index() != kString) return reply::error(out, reply::kWrongType);
      if (e == nullptr) e = &create(a[0], kString);
      std::string& s = std::get<kString>(e->value);
      if (s.size() + a[1].size() > 512 * 1024 * 1024) {
        return reply::error(out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
      }
      s.append(a[1]);
      return reply::integer(out, static_cast<std::int64_t>(s.size()));
    }
    case Cmd::strlen: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::integer(out, 0);
      if (e->value.index() != kString) return reply::error(out, reply::kWrongType);
      return reply::integer(out, static_cast<std::int64_t>(std::get<kString>(e->value).size()));
    }
    case Cmd::expire:
      return cmd_expire(a, now, 1000, "expire", out);
    case Cmd::pexpire:
      return cmd_expire(a, now, 1, "pexpire", out);
    case Cmd::ttl:
      return cmd_ttl(a[0], now, false, out);
    case Cmd::pttl:
      return cmd_ttl(a[0], now, true, out);
    case Cmd::persist: {
      Entry* e = find(a[0], now);
      if (e == nullptr || e->expire_at == 0) return reply::integer(out, 0);
      e->expire_at = 0;
      return reply::integer(out, 1);
    }
    case Cmd::del_one:
    case Cmd::exists_one: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return;
      if (cmd == Cmd::del_one) erase(a[0]);
      count = 1;
      return;
    }
    case Cmd::lpush:
      return cmd_push(a, now, true, out);
    case Cmd::rpush:
      return cmd_push(a, now, false, out);
    case Cmd::lpop:
      return cmd_pop(a, now, true, out);
    case Cmd::rpop:
      return cmd_pop(a, now, false, out);
    case Cmd::lrange:
      return cmd_lrange(a, now, out);
    case Cmd::llen: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::integer(out, 0);
      if (e->value.index() != kList) return reply::error(out, reply::kWrongType);
      return reply::integer(out, static_cast<std::int64_t>(std::get<kList>(e->value).size()));
    }
    case Cmd::sadd:
    case Cmd::hset: {
      const std::size_t kind = cmd == Cmd::sadd ? kSet : kHash;
      if (cmd == Cmd::hset && a.size() % 2 != 1) return reply::error(out, arity_error("hset"));
      Entry* e = find(a[0], now);
      if (e != nullptr && e->value.index() != kind) return reply::error(out, reply::kWrongType);
      if (e == nullptr) e = &create(a[0], kind);
      SmallTable& t = kind == kSet ? std::get<kSet>(e->value) : std::get<kHash>(e->value);
      std::int64_t added = 0;
      const std::size_t step = kind == kSet ? 1 : 2;
      for (std::size_t i = 1; i + step - 1 < a.size(); i += step) {
        added += t.put(a[i], step == 2 ? a[i + 1] : std::string_view()) ? 1 : 0;
      }
      return reply::integer(out, added);
    }
    case Cmd::srem:
    case Cmd::hdel: {
      const std::size_t kind = cmd == Cmd::srem ? kSet : kHash;
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::integer(out, 0);
      if (e->value.index() != kind) return reply::error(out, reply::kWrongType);
      SmallTable& t = kind == kSet ? std::get<kSet>(e->value) : std::get<kHash>(e->value);
      std::int64_t removed = 0;
      for (std::size_t i = 1; i < a.size(); ++i)
        removed += t.remove(a[i]) ? 1 : 0;
      if (t.size() == 0) erase(a[0]);
      return reply::integer(out, removed);
    }
    case Cmd::smembers:
    case Cmd::hgetall: {
      const std::size_t kind = cmd == Cmd::smembers ? kSet : kHash;
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::array(out, 0);
      if (e->value.index() != kind) return reply::error(out, reply::kWrongType);
      const SmallTable& t = kind == kSet ? std::get<kSet>(e->value) : std::get<kHash>(e->value);
      reply::array(out, static_cast<std::int64_t>(t.size() * (kind == kSet ? 1 : 2)));
      for (const auto& [name, value] : t.items()) {
        reply::bulk(out, name);
        if (kind == kHash) reply::bulk(out, value);
      }
      return;
    }
    case Cmd::scard: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::integer(out, 0);
      if (e->value.index() != kSet) return reply::error(out, reply::kWrongType);
      return reply::integer(out, static_cast<std::int64_t>(std::get<kSet>(e->value).size()));
    }
    case Cmd::hget: {
      Entry* e = find(a[0], now);
      if (e == nullptr) return reply::nil(out);
      if (e->value.index() != kHash) return reply::error(out, reply::kWrongType);
      const std::string* v = std::get<kHash>(e->value).find(a[1]);
      return v == nullptr ? reply::nil(out) : reply::bulk(out, *v);
    }
    case Cmd::keys:
      return cmd_keys(a[0], now, out, count);
    case Cmd::dbsize:
      count = static_cast<std::int64_t>(map_.size());
      return;
    case Cmd::flushdb:
    case Cmd::flushall:
      map_.clear();
      due_ = {};
      return;
    default:
      return reply::error(out, "ERR command not handled by a keyspace shard");
  }
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
void Keyspace::cmd_set(Args a, std::int64_t now, std::string& out) {
  bool nx = false, xx = false, get = false, keepttl = false;
  std::int64_t expire_at = 0;
  bool has_expiry = false;
  for (std::size_t i = 2; i < a.size(); ++i) {
    const std::string_view opt = a[i];
    if (iequals(opt, "nx") && !xx) {
      nx = true;
    } else if (iequals(opt, "xx") && !nx) {
      xx = true;
    } else if (iequals(opt, "get")) {
      get = true;
    } else if (iequals(opt, "keepttl") && !has_expiry) {
      keepttl = true;
    } else if ((iequals(opt, "ex") || iequals(opt, "px") || iequals(opt, "exat") ||
                iequals(opt, "pxat")) &&
               !has_expiry && !keepttl && i + 1 < a.size()) {
      std::int64_t n = 0;
      if (!to_int(a[++i], n)) return reply::error(out, reply::kNotInteger);
      const bool seconds = iequals(opt, "ex") || iequals(opt, "exat");
      const bool absolute = iequals(opt, "exat") || iequals(opt, "pxat");
      if (n <= 0 || (seconds && n > kMax / 1000)) return expire_error(out, "set");
      std::int64_t ms = seconds ? n * 1000 : n;
      if (absolute) {
        // EXAT/PXAT name wall-clock time; the keyspace keeps the monotonic clock.
        const std::int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
        ms = ms - wall;
        expire_at = ms <= 0 ? now : now + ms;
      } else {
        if (ms > kMax - now) return expire_error(out, "set");
        expire_at = now + ms;
      }
      has_expiry = true;
    } else {
      return reply::error(out, reply::kSyntax);
    }
  }
  Entry* e = find(a[0], now);
  if (get) {
    if (e != nullptr && e->value.index() != kString) return reply::error(out, reply::kWrongType);
    if (e == nullptr) {
      reply::nil(out);
    } else {
      reply::bulk(out, std::get<kString>(e->value));
    }
  }
  if ((nx && e != nullptr) || (xx && e == nullptr)) {
    if (!get) reply::nil(out);
    return;
  }
  const std::int64_t kept = (keepttl && e != nullptr) ? e->expire_at : 0;
  if (e == nullptr || e->value.index() != kString) {
    e = &create(a[0], kString);
  }
  std::get<kString>(e->value).assign(a[1]);
  e->expire_at = kept;
  if (has_expiry) set_expiry(a[0], *e, expire_at);
  if (!get) reply::ok(out);
}

void Keyspace::cmd_incr(std::string_view key, std::int64_t by, std::int64_t now, std::string& out) {
  Entry* e = find(key, now);
  std::int64_t value = 0;
  if (e != nullptr) {
    if (e->value.index() != kString) return reply::error(out, reply::kWrongType);
    if (!to_int(std::get<kString>(e->value), value)) return reply::error(out, reply::kNotInteger);
  }
  if ((by > 0 && value > kMax - by) || (by < 0 && value < kMin - by)) {
    return reply::error(out, "ERR increment or decrement would overflow");
  }
  value += by;
  if (e == nullptr) e = &create(key, kString);
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, value);
  std::get<kString>(e->value).assign(digits, r.ptr);
  reply::integer(out, value);
}

// EXPIRE key n [NX|XX|GT|LT]; `unit` is 1000 for seconds, 1 for milliseconds.
void Keyspace::cmd_expire(Args a, std::int64_t now, std::int64_t unit, std::string_view name,
                          std::string& out) {
  std::int64_t n = 0;
  if (!to_int(a[1], n)) return reply::error(out, reply::kNotInteger);
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t i = 2; i < a.size(); ++i) {
    if (iequals(a[i], "nx")) {
      nx = true;
    } else if (iequals(a[i], "xx")) {
      xx = true;
    } else if (iequals(a[i], "gt")) {
      gt = true;
    } else if (iequals(a[i], "lt")) {
      lt = true;
    } else {
      return reply::error(out, std::string("ERR Unsupported option ").append(a[i]));
    }
  }
  if (nx && (xx || gt || lt)) {
    return reply::error(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt)
    return reply::error(out, "ERR GT and LT options at the same time are not compatible");
  if (n > kMax / unit || n < kMin / unit) return expire_error(out, name);
  const std::int64_t ms = n * unit;
  if (ms > 0 && ms > kMax - now) return expire_error(out, name);
  Entry* e = find(a[0], now);
  if (e == nullptr) return reply::integer(out, 0);
  const std::int64_t at = now + ms;
  const bool has = e->expire_at != 0;
  if ((nx && has) || (xx && !has) || (gt && (!has || at <= e->expire_at)) ||
      (lt && has && at >= e->expire_at)) {
    return reply::integer(out, 0);
  }
  if (ms <= 0) {
    erase(a[0]);
  } else {
    set_expiry(a[0], *e, at);
  }
  reply::integer(out, 1);
}

void Keyspace::cmd_ttl(std::string_view key, std::int64_t now, bool ms, std::string& out) {
  Entry* e = find(key, now);
  if (e == nullptr) return reply::integer(out, -2);
  if (e->expire_at == 0) return reply::integer(out, -1);
  const std::int64_t left = e->expire_at - now;
  reply::integer(out, ms ? left : (left + 500) / 1000);
}

void Keyspace::cmd_push(Args a, std::int64_t now, bool left, std::string& out) {
  Entry* e = find(a[0], now);
  if (e != nullptr && e->value.index() != kList) return reply::error(out, reply::kWrongType);
  if (e == nullptr) e = &create(a[0], kList);
  List& list = std::get<kList>(e->value);
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (left) {
      list.emplace_front(a[i]);
    } else {
      list.emplace_back(a[i]);
    }
  }
  reply::integer(out, static_cast<std::int64_t>(list.size()));
}

// LPOP key [count]: one element (bulk) without a count, an array with one.
void Keyspace::cmd_pop(Args a, std::int64_t now, bool left, std::string& out) {
  if (a.size() > 2) return reply::error(out, reply::kSyntax);
  std::int64_t count = 1;
  const bool with_count = a.size() == 2;
  if (with_count && (!to_int(a[1], count) || count < 0)) {
    return reply::error(out, "ERR value is out of range, must be positive");
  }
  Entry* e = find(a[0], now);
  if (e == nullptr) return with_count ? reply::nil_array(out) : reply::nil(out);
  if (e->value.index() != kList) return reply::error(out, reply::kWrongType);
  List& list = std::get<kList>(e->value);
  auto take = [&] {
    std::string& s = left ? list.front() : list.back();
    reply::bulk(out, s);
    if (left) {
      list.pop_front();
    } else {
      list.pop_back();
    }
  };
  if (!with_count) {
    take();
  } else {
    const auto n = std::min<std::int64_t>(count, static_cast<std::int64_t>(list.size()));
    reply::array(out, n);
    for (std::int64_t i = 0; i < n; ++i)
      take();
  }
  if (list.empty()) erase(a[0]);
}

void Keyspace::cmd_lrange(Args a, std::int64_t now, std::string& out) {
  std::int64_t start = 0, stop = 0;
  if (!to_int(a[1], start) || !to_int(a[2], stop)) return reply::error(out, reply::kNotInteger);
  Entry* e = find(a[0], now);
  if (e == nullptr) return reply::array(out, 0);
  if (e->value.index() != kList) return reply::error(out, reply::kWrongType);
  const List& list = std::get<kList>(e->value);
  const auto size = static_cast<std::int64_t>(list.size());
  if (start < 0) start = std::max<std::int64_t>(size + start, 0);
  if (stop < 0) stop = size + stop;
  if (stop >= size) stop = size - 1;
  if (start > stop || start >= size) return reply::array(out, 0);
  reply::array(out, stop - start + 1);
  for (std::int64_t i = start; i <= stop; ++i)
    reply::bulk(out, list[static_cast<std::size_t>(i)]);
}

void Keyspace::cmd_keys(std::string_view pattern, std::int64_t now, std::string& out,
                        std::int64_t& count) {
  const bool all = pattern == "*";
  for (const auto& [key, entry] : map_) {
    if (entry.expire_at != 0 && entry.expire_at <= now) continue;
    if (!all && !glob_match(pattern, key)) continue;
    reply::bulk(out, key);
    ++count;
  }
}

}  // namespace redis
