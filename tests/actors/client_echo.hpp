#pragma once
// Test support for Client tests: a client-side handler that drives echo round trips over
// its connections and compares every byte that comes back, and helpers to build its
// per-connection state. Runs on the client's loops; the main thread reads only atomics.

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "actnet/actnet.hpp"

namespace client_echo {

inline std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, n - i));
  }
  return out;
}

// One connection's progress, kept as the Conn's context (set through DialOptions).
struct EchoState {
  std::string data;
  std::size_t sent = 0;
  std::size_t received = 0;
};

// Writes `round` bytes, waits until they came back equal, writes the next; closes when
// everything came back (ok) or at the first difference (bad).
class EchoDriver : public actnet::EventHandler {
 public:
  explicit EchoDriver(std::size_t round = 64 * 1024) : round_(round) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    opened.fetch_add(1);
    EchoState* s = conn.context<EchoState>();
    if (s == nullptr) {
      bad.fetch_add(1);
      return actnet::Action::close;
    }
    send_round(conn, *s);
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {
    EchoState* s = conn.context<EchoState>();
    const std::string_view got = conn.next();
    if (s->received + got.size() > s->sent ||
        std::memcmp(got.data(), s->data.data() + s->received, got.size()) != 0) {
      bad.fetch_add(1);
      return actnet::Action::close;
    }
    s->received += got.size();
    if (s->received == s->data.size()) {
      ok.fetch_add(1);
      return actnet::Action::close;
    }
    if (s->received == s->sent) send_round(conn, *s);
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn&, std::error_code) override {
    closed.fetch_add(1);
    return actnet::Action::none;
  }

  std::atomic<int> opened{0}, ok{0}, bad{0}, closed{0};

 private:
  void send_round(actnet::Conn& conn, EchoState& s) {
    const std::size_t n = std::min(round_, s.data.size() - s.sent);
    conn.write(std::string_view(s.data).substr(s.sent, n));
    s.sent += n;
  }

  std::size_t round_;
};

// A blocking connect from the test thread, for Client::enroll. -1 on failure.
inline int connect_blocking(const actnet::io::SocketAddress& address) {
  const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, address.data(), address.size()) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace client_echo
