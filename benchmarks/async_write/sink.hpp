#pragma once
// Sink is the far end of the async_write benchmark: one thread holding N client sockets to
// the server under test, reading and discarding whatever arrives, and counting the bytes
// so the benchmark knows when every message was delivered. It owns its sockets and thread.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class Sink {
 public:
  // Main thread: connects `connections` sockets to 127.0.0.1:port and starts reading.
  Sink(std::uint16_t port, int connections) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    for (int i = 0; i < connections; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("sink: cannot connect to 127.0.0.1:" + std::to_string(port));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      fds_.push_back(fd);
    }
    thread_ = std::thread([this] { read_all(); });
  }
  ~Sink() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
    for (int fd : fds_)
      ::close(fd);
    ::close(epoll_);
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Any thread: bytes received so far.
  std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_acquire); }

 private:
  void read_all() {
    std::vector<char> buf(256 * 1024);
    epoll_event events[64];
    while (!stop_.load(std::memory_order_relaxed)) {
      const int n = ::epoll_wait(epoll_, events, 64, 20);
      std::uint64_t got = 0;
      for (int i = 0; i < n; ++i) {
        const ssize_t r = ::recv(events[i].data.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (r > 0) got += static_cast<std::uint64_t>(r);
        if (r == 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, events[i].data.fd, nullptr);  // closed
      }
      if (got != 0) bytes_.fetch_add(got, std::memory_order_release);
    }
  }

  int epoll_;
  std::vector<int> fds_;
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bench
