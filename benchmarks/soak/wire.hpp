#pragma once
// Blocking-socket plumbing for the soak load generator: loopback connects with timeouts, an
// abortive close (RST), and exchange(), which writes a request stream while it reads the
// answer so that neither side's buffers can deadlock a pipelined client, optionally reading
// slowly to act as a slow reader. Plain POSIX sockets: the soak tests actnet from outside.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace soak {

// A TCP connection to 127.0.0.1:port, or -1. `rcvbuf` > 0 shrinks the receive buffer first
// (a slow reader's window).
int connect_loopback(int port, int rcvbuf = 0);

// Closes with SO_LINGER 0: the peer sees a reset instead of a FIN.
void close_with_reset(int fd);

bool send_all(int fd, std::string_view bytes);

enum class Outcome { done, io_error, timeout };

// Writes `out` while appending what arrives to `in`, until done(in) says the answer is
// complete. A slow reader reads at most 1 KiB then pauses 1 ms. Every wait is bounded by the
// socket timeouts (20 s without progress is a timeout).
Outcome exchange(int fd, std::string_view out, std::string& in,
                 const std::function<bool(const std::string&)>& done, bool slow = false);

}  // namespace soak
