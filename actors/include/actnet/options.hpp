#pragma once
// Options is the one plain struct that configures an engine; fill it with designated
// initializers naming only what differs from the defaults:
//
//   actnet::run(handler, "tcp://:9000", {.num_event_loops = 4, .reuse_port = true});
//
// run() validates it first and refuses an invalid one with a message naming the option.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/io/status.hpp"

namespace actnet {

/// How the supervisor picks a loop for each accepted connection (Options::load_balancing).
enum class LoadBalancing : std::uint8_t {
  round_robin,          ///< each new connection to the next loop in turn
  least_connections,    ///< to the loop holding the fewest connections
  source_address_hash,  ///< by the client's IP (without port): one address, one loop
};

/// The one plain struct that configures an engine (or a Client's own loops): fill it with
/// designated initializers naming only what differs from the defaults.
struct ACTNET_API Options {
  /// --- loops
  bool multicore = false;           ///< one loop per CPU (when num_event_loops is 0)
  std::size_t num_event_loops = 0;  ///< overrides multicore; 0: 1, or one per CPU with multicore
  LoadBalancing load_balancing = LoadBalancing::round_robin;  ///< picks each connection's loop
  bool lock_os_thread = false;                                ///< pin loop i to CPU i % CPUs

  /// --- listeners
  bool reuse_addr = true;
  bool reuse_port = false;  ///< every loop binds and accepts on its own listener
  /// A udp:// address on a multicast group (udp4://224.0.0.199:9000) is joined on this
  /// interface (0: the kernel picks by route). UDP always binds one socket per loop with
  /// SO_REUSEPORT, whatever reuse_port says (one socket only for a multicast group).
  unsigned multicast_interface_index = 0;
  std::string bind_to_device;  ///< SO_BINDTODEVICE for the listeners (needs CAP_NET_RAW)
  /// Permission bits of a unix:// listener's socket file, e.g. 0660 (a client needs write
  /// permission on it to connect). Unset: what bind() gives, 0777 & ~umask. Set before the
  /// socket listens, through a handle that never follows a symlink. Whatever the mode, a
  /// symlink or a file that is not a socket at the path is refused and left untouched
  /// (io::UnixListener). Read by run() at boot; not allowed with an abstract unix:// name.
  std::optional<unsigned> unix_socket_mode;

  /// --- buffers (each rounded up to a power of two, at least 1 KiB)
  std::size_t read_buffer_cap = 64 * 1024;   ///< a connection's inbound bytes at most
  std::size_t write_buffer_cap = 64 * 1024;  ///< outbound ring; beyond it, a chunk list

  /// --- backpressure (beyond gnet): per connection, on outbound bytes
  std::size_t write_high_water = 1024 * 1024;       ///< stop reading, on_backpressure(true)
  std::size_t write_low_water = 256 * 1024;         ///< resume reading, on_backpressure(false)
  std::size_t write_hard_limit = 64 * 1024 * 1024;  ///< close with Errc::write_limit_exceeded

  /// --- sockets
  bool tcp_nodelay = true;
  std::optional<io::KeepAlive> tcp_keepalive;  ///< unset: kernel default (off)
  int socket_recv_buffer = 0;                  ///< SO_RCVBUF; 0: kernel autotuning
  int socket_send_buffer = 0;                  ///< SO_SNDBUF; 0: kernel autotuning

  /// --- edge-triggered I/O
  /// EPOLLET for stream connections: each event's bytes are read until a read comes up short
  /// (the socket is then empty; no read that returns only EAGAIN), at most
  /// edge_triggered_chunk per turn, the rest on the next turn without a new event.
  bool edge_triggered = false;
  std::size_t edge_triggered_chunk = 1024 * 1024;  ///< bytes read per connection per turn

  /// --- time
  bool ticker = false;  ///< call on_tick (first at once, then at the delay it returns)
  std::chrono::milliseconds watchdog_threshold{100};  ///< warn when a loop turn runs longer; 0: off
  std::chrono::milliseconds stop_timeout{5000};       ///< graceful stop's flush deadline by default
  /// Close a connection with Errc::timed_out after this long without inbound bytes; 0: never.
  /// Per connection: Conn::set_idle_timeout.
  std::chrono::milliseconds idle_timeout{0};

  /// --- blocking work (offload()): the engine's WorkerPool, started at the first offload
  std::size_t worker_threads = 4;
  std::size_t worker_queue = 16 * 1024;  ///< jobs waiting; beyond it offload answers queue_full

  /// --- process
  bool handle_signals = false;  ///< SIGINT/SIGTERM stop the engine gracefully

  /// --- logging
  std::shared_ptr<spdlog::logger> logger;  ///< default: a logger configured below
  spdlog::level::level_enum log_level = spdlog::level::info;  ///< for the logger made from log_path
  std::string log_path;                                       ///< empty: stderr
};

/// The options after validation: every cap a power of two, every default filled in.
struct ACTNET_API ResolvedOptions : Options {
  std::size_t loops = 1;  ///< the number of event loops
};

/// Any thread: checks `options` and fills in what is derived. The error names the option and
/// says what is wrong with its value.
ACTNET_API Result<ResolvedOptions> validate(const Options& options);

}  // namespace actnet
