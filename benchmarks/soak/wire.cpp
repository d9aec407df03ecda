#include "wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace soak {

namespace {
constexpr int kStallMs = 20'000;  // no progress for this long: the server lost our bytes
}

int connect_loopback(int port, int rcvbuf) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{kStallMs / 1000, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void close_with_reset(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Outcome exchange(int fd, std::string_view out, std::string& in,
                 const std::function<bool(const std::string&)>& done, bool slow) {
  char buf[64 * 1024];
  while (!done(in)) {
    pollfd p{fd, static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0};
    const int r = ::poll(&p, 1, kStallMs);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return Outcome::timeout;
    if (r < 0) return Outcome::io_error;
    if ((p.revents & POLLOUT) != 0 && !out.empty()) {
      const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return Outcome::io_error;
      if (n > 0) out.remove_prefix(static_cast<std::size_t>(n));
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::recv(fd, buf, slow ? 1024 : sizeof buf, MSG_DONTWAIT);
      if (n == 0) return Outcome::io_error;  // closed before the answer was complete
      if (n < 0 && errno != EAGAIN && errno != EINTR) return Outcome::io_error;
      if (n > 0) in.append(buf, static_cast<std::size_t>(n));
      if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return Outcome::done;
}

}  // namespace soak
