#include "actnet/options.hpp"

#include <bit>
#include <string>
#include <system_error>
#include <thread>

#include "actnet/runtime/error.hpp"

namespace actnet {
namespace {

constexpr std::size_t kMinBufferCap = 1024;
constexpr std::size_t kMaxBufferCap = std::size_t{1} << 30;
constexpr std::size_t kMaxLoops = 4096;

Error invalid(const std::string& what) {
  return Error{make_error_code(Errc::invalid_argument), what};
}

}  // namespace

Result<ResolvedOptions> validate(const Options& options) {
  ResolvedOptions r;
  static_cast<Options&>(r) = options;

  const std::size_t cpus = std::max(1u, std::thread::hardware_concurrency());
  r.loops = options.num_event_loops != 0 ? options.num_event_loops : (options.multicore ? cpus : 1);
  if (r.loops > kMaxLoops) {
    return invalid("num_event_loops = " + std::to_string(r.loops) + ": at most " +
                   std::to_string(kMaxLoops) + " loops");
  }

  for (auto [name, cap] : {std::pair{"read_buffer_cap", &r.read_buffer_cap},
                           std::pair{"write_buffer_cap", &r.write_buffer_cap}}) {
    if (*cap > kMaxBufferCap) {
      return invalid(std::string(name) + " = " + std::to_string(*cap) + ": at most 1 GiB");
    }
    *cap = std::bit_ceil(std::max(*cap, kMinBufferCap));
  }

  if (r.write_low_water > r.write_high_water) {
    return invalid("write_low_water = " + std::to_string(r.write_low_water) +
                   ": must not exceed write_high_water = " + std::to_string(r.write_high_water));
  }
  if (r.write_hard_limit < r.write_high_water) {
    return invalid("write_hard_limit = " + std::to_string(r.write_hard_limit) +
                   ": must be at least write_high_water = " + std::to_string(r.write_high_water));
  }
  if (r.edge_triggered && r.edge_triggered_chunk == 0) {
    return invalid("edge_triggered_chunk = 0: must be at least 1 byte");
  }
  if (r.socket_recv_buffer < 0 || r.socket_send_buffer < 0) {
    return invalid("socket_recv_buffer/socket_send_buffer: must not be negative");
  }
  if (r.worker_threads == 0 || r.worker_threads > 1024) {
    return invalid("worker_threads = " + std::to_string(r.worker_threads) +
                   ": must be between 1 and 1024");
  }
  if (r.worker_queue == 0) return invalid("worker_queue = 0: must be at least 1 job");
  if (r.watchdog_threshold.count() < 0) return invalid("watchdog_threshold: must not be negative");
  if (r.stop_timeout.count() < 0) return invalid("stop_timeout: must not be negative");
  if (r.idle_timeout.count() < 0) return invalid("idle_timeout: must not be negative");
  if (r.unix_socket_mode && *r.unix_socket_mode > 07777) {
    return invalid("unix_socket_mode = " + std::to_string(*r.unix_socket_mode) +
                   ": permission bits only (at most 07777)");
  }
  if (r.tcp_keepalive) {
    const io::KeepAlive& k = *r.tcp_keepalive;
    if (k.idle.count() <= 0 || k.interval.count() <= 0 || k.count <= 0) {
      return invalid("tcp_keepalive: idle, interval and count must all be positive");
    }
  }
  return r;
}

}  // namespace actnet
