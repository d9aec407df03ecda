#pragma once
// The bytes every load-generator connection sends, so every echoed byte can be checked.
// One shared pseudo-random table of a prime period; connection c's stream is the table read
// from its own start offset. A wrong, lost, duplicated or reordered byte lands on a
// different table position and is caught, unless the shift is a multiple of the period
// (65,521 bytes), far more than any run keeps in flight on one connection.
// Read-only after construction: every client thread shares the one instance.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace loadgen {

class BytePattern {
 public:
  static constexpr std::size_t kPeriod = 65521;  // prime: never aligned with a message size

  BytePattern() : table_(2 * kPeriod) {
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (std::size_t i = 0; i < kPeriod; ++i) {
      state += 0x9e3779b97f4a7c15ULL;  // splitmix64: cheap and well mixed
      std::uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      table_[i] = static_cast<unsigned char>(z ^ (z >> 31));
    }
    // The second copy makes every slice of up to kPeriod bytes contiguous.
    std::memcpy(table_.data() + kPeriod, table_.data(), kPeriod);
  }

  /// Where connection `id`'s stream starts in the table. Any thread.
  static std::size_t start_of(std::uint64_t id) { return (id * 7919u + 17u) % kPeriod; }

  /// Stream bytes [offset, offset + *len) of a connection starting at `start`, clipped so
  /// the slice is contiguous (*len shrinks to at most kPeriod). Any thread.
  const unsigned char* slice(std::size_t start, std::uint64_t offset, std::size_t* len) const {
    if (*len > kPeriod) *len = kPeriod;
    return table_.data() + (start + offset) % kPeriod;
  }

  /// True when `data` equals the stream bytes at [offset, offset + len). Any thread.
  bool matches(std::size_t start, std::uint64_t offset, const unsigned char* data,
               std::size_t len) const {
    while (len > 0) {
      std::size_t n = len;
      const unsigned char* expected = slice(start, offset, &n);
      if (std::memcmp(expected, data, n) != 0) return false;
      data += n;
      offset += n;
      len -= n;
    }
    return true;
  }

 private:
  std::vector<unsigned char> table_;
};

}  // namespace loadgen
