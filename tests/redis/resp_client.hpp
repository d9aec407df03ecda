#pragma once
// A small blocking RESP2 client for the in-process tests: one loopback connection, commands
// sent as multibulk frames, each reply read whole and returned in its wire form ("+OK\r\n",
// "$1\r\nv\r\n", ...). Every read has a timeout, so a server that stays silent fails the
// test instead of hanging it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace redis_test {

class RespClient {
 public:
  explicit RespClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(port);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  }
  ~RespClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  static std::string frame(const std::vector<std::string>& words) {
    std::string out;
    out.append(1, '*').append(std::to_string(words.size())).append("\r\n");
    for (const std::string& w : words)
      out.append(1, '$').append(std::to_string(w.size())).append("\r\n").append(w).append("\r\n");
    return out;
  }

  void send_raw(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      sent += static_cast<std::size_t>(n);
    }
  }

  // One command, its reply.
  std::string call(const std::vector<std::string>& words) {
    send_raw(frame(words));
    return reply();
  }

  // The next whole reply (empty when the connection closed or timed out first).
  std::string reply() {
    std::size_t end = 0;
    while (!complete(0, end)) {
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    std::string out = buffer_.substr(0, end);
    buffer_.erase(0, end);
    return out;
  }

 private:
  // Whether a whole reply starts at `at`; `end` is where it ends.
  bool complete(std::size_t at, std::size_t& end) const {
    const auto eol = buffer_.find("\r\n", at);
    if (at >= buffer_.size() || eol == std::string::npos) return false;
    const char kind = buffer_[at];
    const long n = std::strtol(buffer_.c_str() + at + 1, nullptr, 10);
    end = eol + 2;
    if (kind == '$') {
      if (n < 0) return true;
      end += static_cast<std::size_t>(n) + 2;
      return end <= buffer_.size();
    }
    if (kind == '*') {
      for (long i = 0; i < n; ++i) {
        if (!complete(end, end)) return false;
      }
    }
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

inline std::string bulk(const std::string& s) {
  return std::string("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
}

}  // namespace redis_test
