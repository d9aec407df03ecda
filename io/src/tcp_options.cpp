#include "actnet/io/tcp_options.hpp"

namespace actnet::io {

Status apply_tcp_options(int fd, const TcpOptions& options) {
  // TCP_NODELAY is written even when false: an accepted socket inherits its listener's
  // setting, and the connection should do what TcpOptions says, not what the listener had.
  if (auto s = set_tcp_no_delay(fd, options.no_delay); !s) return s;
  if (options.keep_alive) {
    if (auto s = set_keep_alive(fd, *options.keep_alive); !s) return s;
  }
  // Setting a buffer size turns off the kernel's autotuning for it, so only on request.
  if (options.recv_buffer > 0) {
    if (auto s = set_recv_buffer(fd, options.recv_buffer); !s) return s;
  }
  if (options.send_buffer > 0) {
    if (auto s = set_send_buffer(fd, options.send_buffer); !s) return s;
  }
  if (options.linger) {
    if (auto s = set_linger(fd, *options.linger); !s) return s;
  }
  return ok_status();
}

}  // namespace actnet::io
