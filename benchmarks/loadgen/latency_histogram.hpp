#pragma once
// Round-trip latencies of one client thread, merged at the end of a run. Log-linear
// buckets (64 per power of two, under 1.6% error) keep recording O(1) with no allocation,
// however many million messages a run completes. Owned by one thread until merged.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace loadgen {

class LatencyHistogram {
 public:
  /// Counts one latency in nanoseconds. Owning thread only.
  void record(std::uint64_t ns) {
    ++counts_[index_of(ns)];
    ++total_;
  }

  /// Adds another thread's counts; call after that thread has stopped.
  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i)
      counts_[i] += other.counts_[i];
    total_ += other.total_;
  }

  std::uint64_t total() const { return total_; }

  /// The latency (ns) at quantile q in [0, 1]; 0 when nothing was recorded.
  double quantile_ns(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5);
    if (rank < 1) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return middle_of(i);
    }
    return middle_of(kBuckets - 1);
  }

 private:
  static constexpr int kSubBits = 6;
  static constexpr std::uint64_t kSub = 1u << kSubBits;
  static constexpr std::size_t kBuckets = (64 - kSubBits) * kSub;

  static std::size_t index_of(std::uint64_t v) {
    if (v < 2 * kSub) return static_cast<std::size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;
    return static_cast<std::size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
  }
  static double middle_of(std::size_t i) {
    if (i < 2 * kSub) return static_cast<double>(i);
    const std::size_t shift = i / kSub - 1;
    const std::uint64_t low = (i % kSub + kSub) << shift;
    return static_cast<double>(low) + static_cast<double>(std::uint64_t{1} << shift) / 2;
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

}  // namespace loadgen
