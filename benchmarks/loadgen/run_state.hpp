#pragma once
// What main() and the client threads share during one run: the read-only setup and the
// phase main() advances (connect → warm-up → measure → stop). Workers poll the phase every
// loop turn, so a phase change takes effect within one epoll timeout (10 ms).

#include <atomic>
#include <cstdint>

#include "byte_pattern.hpp"
#include "options.hpp"
#include "target.hpp"

namespace loadgen {

enum Phase : int { kConnecting = 0, kWarmup = 1, kMeasure = 2, kStop = 3 };

struct RunState {
  const Options& options;
  const Target& target;
  const BytePattern& pattern;
  std::atomic<int> phase{kConnecting};
  std::atomic<int> workers_connected{0};      // workers done with their connect phase
  std::atomic<std::uint64_t> held_echoes{0};  // --hold: connections whose one echo is back
};

}  // namespace loadgen
