#pragma once
// BufferModel drives one of the io buffers and a std::deque<char> model with the same
// operations (write, peek, next, discard, read, peek_into, iovec export with a partial
// commit, reserve + readv-style commit, drain to empty, clear), chosen by a seeded generator
// (the model tests) or by the fuzzer's input (tests/fuzz/buffer_fuzz.cpp). After each
// operation it compares every size and every buffered byte (through readable_iovecs). The
// first mismatch stops the run and is described in failure() with the operation number;
// the tests print their seed, and ACTNET_TEST_SEED replays it.

#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actnet/io/sanitizers.hpp"

namespace buffer_model {

// The seed a test case uses: ACTNET_TEST_SEED if set, else the test's fixed one. Printed.
inline std::uint64_t seed_for(const char* test, std::uint64_t fixed) {
  std::uint64_t seed = fixed;
  if (const char* env = std::getenv("ACTNET_TEST_SEED")) seed = std::strtoull(env, nullptr, 0);
  std::printf("%s: seed %llu (ACTNET_TEST_SEED=<seed> replays it)\n", test,
              static_cast<unsigned long long>(seed));
  return seed;
}

// Fewer operations under sanitizers (each case stays well under 20 s there).
inline constexpr std::uint64_t kOpScale = actnet::io::kAddressSanitizer ? 4 : 1;

// Byte i of the stream written into a buffer: neighbours differ and the pattern repeats only
// every kStreamPeriod bytes (more than any buffer here holds), so a byte delivered out of
// place or twice is caught. A table, so that writes copy it instead of looping per byte.
inline constexpr std::size_t kStreamPeriod = (std::size_t{1} << 17) - 1;

inline const std::string& stream_table() {
  static const std::string table = [] {
    std::string t(kStreamPeriod, '\0');
    for (std::size_t i = 0; i < kStreamPeriod; ++i) {
      t[i] = static_cast<char>((i * 0x9E3779B97F4A7C15ULL) >> 56);
    }
    return t;
  }();
  return table;
}

inline char stream_byte(std::uint64_t i) {
  return stream_table()[i % kStreamPeriod];
}

// Bytes [from, from + n) of the stream, into out.
inline void stream_bytes(std::uint64_t from, std::size_t n, std::string& out) {
  const std::string& table = stream_table();
  out.resize(n);
  std::size_t done = 0;
  while (done < n) {
    const std::size_t at = (from + done) % kStreamPeriod;
    const std::size_t take = std::min(n - done, kStreamPeriod - at);
    out.replace(done, take, table, at, take);
    done += take;
  }
}

struct Config {
  std::size_t limit;         // what available() counts down from (the cap or max_bytes)
  std::size_t soft_limit;    // above this many buffered bytes, writes turn into drains
  std::size_t max_write;     // the largest single write/reserve/peek length tried
  bool empty_holds_nothing;  // heap_bytes() == 0 whenever empty (bar next/reserve, see below)
};

// Where the model's choices come from: a seeded generator for the tests...
class RandomSource {
 public:
  explicit RandomSource(std::uint64_t seed) : rng_(seed) {}
  std::size_t uniform(std::size_t lo, std::size_t hi) {  // inclusive
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  bool exhausted() const { return false; }

 private:
  std::mt19937_64 rng_;
};

// ...or the fuzzer's input, read as little-endian numbers of as many bytes as the range
// needs (lo once the input is used up).
class ByteSource {
 public:
  ByteSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::size_t uniform(std::size_t lo, std::size_t hi) {
    const std::size_t range = hi - lo;
    std::size_t value = 0;
    for (std::size_t span = range; span != 0 && pos_ < size_; span >>= 8) {
      value = (value << 8) | data_[pos_++];
    }
    return range == SIZE_MAX ? lo + value : lo + value % (range + 1);
  }
  bool exhausted() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

template <class Buffer, class Source = RandomSource>
class BufferModel {
 public:
  static constexpr bool kWritable = requires(Buffer & b, std::span<iovec> s) {
    b.reserve(std::size_t{0});
    b.writable_iovecs(s);
    b.commit_write(std::size_t{0});
  };

  BufferModel(Buffer& buffer, Source source, Config config)
      : buffer_(buffer), source_(source), config_(config), iov_(64) {}

  // Runs `ops` random operations; false at the first mismatch (see failure()).
  bool run(std::uint64_t ops) {
    return run(ops, [](const Buffer&) {});
  }
  // The same, calling observe(buffer) after each operation (to count the states reached).
  template <class Observe>
  bool run(std::uint64_t ops, Observe&& observe) {
    for (std::uint64_t i = 0; i < ops && failure_.empty() && !source_.exhausted();
         ++i, ++op_index_) {
      step();
      if (failure_.empty()) check();
      observe(static_cast<const Buffer&>(buffer_));
    }
    return failure_.empty();
  }

  const std::string& failure() const { return failure_; }
  std::uint64_t ops() const { return op_index_; }
  std::uint64_t bytes_through() const { return consumed_; }
  std::uint64_t drains() const { return drains_; }
  std::uint64_t peak() const { return peak_; }

 private:
  enum Op { kWrite, kPeek, kNext, kDiscard, kRead, kPeekInto, kWritev, kReadv, kDrain, kClear };

  void fail(const char* what, std::uint64_t got, std::uint64_t want) {
    if (!failure_.empty()) return;
    char line[256];
    std::snprintf(line, sizeof line, "op #%llu (%s): %s: got %llu, want %llu",
                  static_cast<unsigned long long>(op_index_), op_name(last_op_), what,
                  static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
    failure_ = line;
  }
  static const char* op_name(Op op) {
    static const char* names[] = {"write",     "peek",   "next",  "discard", "read",
                                  "peek_into", "writev", "readv", "drain",   "clear"};
    return names[op];
  }

  std::size_t uniform(std::size_t lo, std::size_t hi) { return source_.uniform(lo, hi); }
  // Lengths cluster where the edge cases are: zero, tiny, around the buffered size.
  std::size_t pick_len() {
    switch (uniform(0, 9)) {
      case 0:
        return 0;
      case 1:
      case 2:
      case 3:
        return uniform(1, 16);
      case 4:
      case 5:
        return uniform(1, 256);
      case 6:
        return model_.size() + uniform(0, 2) - std::min<std::size_t>(model_.size(), 1);
      default:
        return uniform(1, config_.max_write);
    }
  }

  void step() {
    const std::size_t roll = uniform(0, 99);
    Op op = roll < 30   ? kWrite
            : roll < 40 ? kPeek
            : roll < 50 ? kNext
            : roll < 58 ? kDiscard
            : roll < 65 ? kRead
            : roll < 70 ? kPeekInto
            : roll < 82 ? kWritev
            : roll < 94 ? kReadv
            : roll < 99 ? kDrain
                        : kClear;
    if (op == kReadv && !kWritable) op = kWrite;
    if ((op == kWrite || op == kReadv) && model_.size() > config_.soft_limit) op = kDrain;
    last_op_ = op;
    // A kept block survives const calls (peek_into); any other call gives it back.
    if (op != kPeekInto) held_ok_ = false;
    switch (op) {
      case kWrite:
        do_write(pick_len());
        break;
      case kPeek:
        do_peek(pick_len());
        break;
      case kNext:
        do_next(pick_len());
        break;
      case kDiscard:
        do_discard(pick_len());
        break;
      case kRead:
        do_read(pick_len());
        break;
      case kPeekInto:
        do_peek_into(pick_len());
        break;
      case kWritev:
        do_writev();
        break;
      case kReadv:
        if constexpr (kWritable) do_readv();
        break;
      case kDrain:
        do_drain();
        break;
      case kClear:
        buffer_.clear();
        consumed_ += model_.size();
        model_.clear();
        break;
    }
    peak_ = std::max<std::uint64_t>(peak_, model_.size());
  }

  void make_bytes(std::size_t n) { stream_bytes(written_, n, bytes_); }
  void append_model(std::size_t n) {
    model_.insert(model_.end(), bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n));
    written_ += n;
  }
  void pop_model(std::size_t n) {
    model_.erase(model_.begin(), model_.begin() + static_cast<std::ptrdiff_t>(n));
    consumed_ += n;
  }
  // Does `view` hold exactly the model's first `n` bytes?
  void expect_front(std::string_view view, std::size_t n, const char* what) {
    if (view.size() != n) return fail(what, view.size(), n);
    if (!std::equal(view.begin(), view.end(), model_.begin())) fail(what, 0, 1);
  }

  void do_write(std::size_t len) {
    make_bytes(len);
    const std::size_t want = std::min(len, config_.limit - model_.size());
    const std::size_t got = buffer_.write(std::string_view(bytes_.data(), len));
    if (got != want) return fail("write count", got, want);
    append_model(got);
  }
  void do_peek(std::size_t n) {
    const std::size_t want = std::min(n, model_.size());
    const std::string_view view = buffer_.peek(n);
    expect_front(view, want, "peek");
    // A second peek of fewer bytes sees the same front (the first may have linearized).
    if (want > 1) expect_front(buffer_.peek(want / 2), want / 2, "peek again");
  }
  void do_next(std::size_t n) {
    const std::size_t want = std::min(n, model_.size());
    const std::string_view view = buffer_.next(n);
    expect_front(view, want, "next");
    pop_model(want);
    held_ok_ = true;  // a draining next() may keep its block until the next call
  }
  void do_discard(std::size_t n) {
    const std::size_t want = std::min(n, model_.size());
    const std::size_t got = buffer_.discard(n);
    if (got != want) return fail("discard count", got, want);
    pop_model(want);
  }
  void do_read(std::size_t n) {
    out_.assign(n, '\0');
    const std::size_t want = std::min(n, model_.size());
    const std::size_t got = buffer_.read(std::span<char>(out_.data(), n));
    expect_front(std::string_view(out_.data(), got), want, "read");
    pop_model(want);
  }
  void do_peek_into(std::size_t n) {
    out_.assign(n, '\0');
    const std::size_t want = std::min(n, model_.size());
    const std::size_t got = buffer_.peek_into(std::span<char>(out_.data(), n));
    expect_front(std::string_view(out_.data(), got), want, "peek_into");
  }

  // writev: export up to k iovecs, check them, then "the kernel took" part of them.
  void do_writev() {
    static constexpr std::size_t kSlots[] = {1, 2, 3, 8, 64};
    const std::size_t slots = kSlots[uniform(0, 4)];
    if (iov_.size() < slots) iov_.resize(slots);
    const std::size_t count = buffer_.readable_iovecs(std::span<iovec>(iov_.data(), slots));
    if (count > slots) return fail("readable_iovecs count", count, slots);
    std::size_t total = 0;
    auto it = model_.begin();
    for (std::size_t i = 0; i < count; ++i) {
      const char* p = static_cast<const char*>(iov_[i].iov_base);
      const std::size_t len = iov_[i].iov_len;
      if (len == 0) return fail("empty iovec", i, count);
      if (total + len > model_.size())
        return fail("iovecs exceed buffered", total + len, model_.size());
      if (!std::equal(p, p + len, it)) return fail("iovec bytes", i, count);
      it += static_cast<std::ptrdiff_t>(len);
      total += len;
    }
    if (count < slots && total != model_.size()) return fail("iovecs cover", total, model_.size());
    std::size_t taken = 0;
    switch (uniform(0, 3)) {
      case 0:
        taken = total;
        break;
      case 1:
        taken = 0;
        break;
      default:
        taken = total == 0 ? 0 : uniform(0, total);
        break;
    }
    const std::size_t got = buffer_.discard(taken);
    if (got != taken) return fail("discard after writev", got, taken);
    pop_model(taken);
  }

  // readv: reserve, export the free space, "the kernel wrote" part of it, commit.
  void do_readv() {
    if constexpr (kWritable) {
      const std::size_t want_room = uniform(0, config_.max_write);
      const std::size_t room = buffer_.reserve(want_room);
      const std::size_t must = std::min(want_room, config_.limit - model_.size());
      if (room < must) return fail("reserve room", room, must);
      if (room != buffer_.free_space()) return fail("reserve result", room, buffer_.free_space());
      const std::size_t slots = uniform(1, 3);
      if (iov_.size() < slots) iov_.resize(slots);
      const std::size_t count = buffer_.writable_iovecs(std::span<iovec>(iov_.data(), slots));
      std::size_t total = 0;
      for (std::size_t i = 0; i < count; ++i)
        total += iov_[i].iov_len;
      if (total > room) return fail("writable iovecs exceed room", total, room);
      if (slots >= 2 && total != room) return fail("writable iovecs cover", total, room);
      const std::size_t k = uniform(0, 3) == 0 ? 0 : uniform(0, total);
      make_bytes(k);
      std::size_t done = 0;
      for (std::size_t i = 0; i < count && done < k; ++i) {
        const std::size_t take = std::min(k - done, iov_[i].iov_len);
        std::copy_n(bytes_.data() + done, take, static_cast<char*>(iov_[i].iov_base));
        done += take;
      }
      buffer_.commit_write(k);
      append_model(k);
    }
    // What a loop does after the handler ran: a large block holding a small remainder is
    // swapped for a small one. The bytes must not change (check() compares them).
    if (uniform(0, 3) == 0) {
      if constexpr (requires { buffer_.trim(); }) {
        buffer_.trim();
        held_ok_ = false;
      } else if constexpr (requires { buffer_.shrink_to_fit(); }) {
        buffer_.shrink_to_fit();
      }
    }
  }

  void do_drain() {
    ++drains_;
    switch (uniform(0, 2)) {
      case 0:
        do_discard(model_.size() + uniform(0, 3));
        break;
      case 1:
        do {
          do_read(uniform(1, 512));
        } while (!model_.empty() && failure_.empty());
        break;
      default:
        do {
          do_next(uniform(1, 512));
        } while (!model_.empty() && failure_.empty());
        // After a draining next the block may be kept; trim() must give it back.
        if constexpr (requires { buffer_.trim(); }) {
          buffer_.trim();
          held_ok_ = false;
        }
        break;
    }
    // A plain ring keeps its block when empty, until asked to give it back.
    if constexpr (requires { buffer_.release_storage(); }) {
      if (failure_.empty() && uniform(0, 1) == 0) {
        if (!buffer_.release_storage()) return fail("release_storage when empty", 0, 1);
        if (buffer_.heap_bytes() != 0) return fail("heap after release", buffer_.heap_bytes(), 0);
      }
    }
  }

  void check() {
    const std::size_t size = model_.size();
    if (buffer_.buffered() != size) return fail("buffered", buffer_.buffered(), size);
    if (buffer_.empty() != (size == 0)) return fail("empty", buffer_.empty(), size == 0);
    if (buffer_.available() != config_.limit - size)
      return fail("available", buffer_.available(), config_.limit - size);
    if (config_.empty_holds_nothing && size == 0 && !held_ok_ && buffer_.heap_bytes() != 0)
      return fail("heap bytes while empty", buffer_.heap_bytes(), 0);
    // Every byte, through the iovec export (which must cover it all given enough slots).
    for (;;) {
      const std::size_t count = buffer_.readable_iovecs(std::span<iovec>(iov_));
      if (count < iov_.size()) break;
      iov_.resize(iov_.size() * 2);
    }
    std::size_t total = 0;
    auto it = model_.begin();
    const std::size_t count = buffer_.readable_iovecs(std::span<iovec>(iov_));
    for (std::size_t i = 0; i < count; ++i) {
      const char* p = static_cast<const char*>(iov_[i].iov_base);
      const std::size_t len = iov_[i].iov_len;
      if (total + len > size) return fail("content length", total + len, size);
      if (!std::equal(p, p + len, it)) return fail("content bytes", i, count);
      it += static_cast<std::ptrdiff_t>(len);
      total += len;
    }
    if (total != size) fail("content length", total, size);
  }

  Buffer& buffer_;
  Source source_;
  Config config_;
  std::deque<char> model_;
  std::vector<iovec> iov_;
  std::string bytes_;
  std::vector<char> out_;
  std::uint64_t written_ = 0, consumed_ = 0, drains_ = 0, peak_ = 0, op_index_ = 0;
  Op last_op_ = kWrite;
  bool held_ok_ = false;
  std::string failure_;
};

}  // namespace buffer_model
