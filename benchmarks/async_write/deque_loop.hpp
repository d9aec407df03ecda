#pragma once
// DequeLoop is the baseline the async_write benchmark measures actnet against: the textbook
// cross-thread design of an event loop thread that owns some sockets and takes work from
// other threads through a std::mutex-protected std::deque, with one eventfd write per
// message to wake it. Apart from that queue it is the same kind of loop as actnet's: epoll,
// non-blocking TCP_NODELAY sockets, and the writes of one drain gathered per socket and
// flushed once after it (actnet corks the same way), with EPOLLOUT for what the kernel
// refused. It owns its thread, epoll fd, eventfd and the sockets handed to it.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bench {

class DequeLoop {
 public:
  // Main thread, before start(): hands a connected socket to the loop; returns its index.
  std::size_t adopt(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns_.push_back(Socket{fd, {}, false, false});
    return conns_.size() - 1;
  }

  // Main thread: starts the loop thread.
  void start() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    add(wake_fd_, kWakeToken, EPOLLIN);
    for (std::size_t i = 0; i < conns_.size(); ++i)
      add(conns_[i].fd, i, EPOLLIN);
    thread_ = std::thread([this] { run(); });
  }

  // Any thread: queues `bytes` for connection `conn` and rings the eventfd.
  void post(std::size_t conn, std::string bytes) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back(conn, std::move(bytes));
    }
    ring();
  }

  // Any thread: eventfd writes so far.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }

  // Main thread: stops the loop and closes everything it owns.
  ~DequeLoop() {
    if (thread_.joinable()) {
      stop_.store(true, std::memory_order_relaxed);
      ring();
      thread_.join();
    }
    for (const Socket& s : conns_)
      ::close(s.fd);
    if (epoll_ >= 0) ::close(epoll_);
    ::close(wake_fd_);
  }

 private:
  static constexpr std::uint64_t kWakeToken = ~std::uint64_t{0};
  struct Socket {
    int fd;
    std::string out;  // bytes the kernel has not taken yet
    bool listed;      // on to_flush_ during this drain
    bool want_out;    // EPOLLOUT registered
  };

  void ring() {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }

  void add(int fd, std::uint64_t token, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void run() {
    epoll_event events[64];
    std::deque<std::pair<std::size_t, std::string>> taken;
    std::vector<char> discard(64 * 1024);
    while (!stop_.load(std::memory_order_relaxed)) {
      const int n = ::epoll_wait(epoll_, events, 64, -1);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kWakeToken) {
          std::uint64_t count;
          (void)!::read(wake_fd_, &count, sizeof count);
          continue;
        }
        Socket& s = conns_[events[i].data.u64];
        if (events[i].events & EPOLLIN) (void)!::recv(s.fd, discard.data(), discard.size(), 0);
        if (events[i].events & EPOLLOUT) flush(s, events[i].data.u64);
      }
      {
        std::lock_guard lock(mu_);
        taken.swap(queue_);
      }
      for (auto& [conn, bytes] : taken) {
        Socket& s = conns_[conn];
        s.out.append(bytes);
        if (!s.listed) {
          s.listed = true;
          to_flush_.push_back(conn);
        }
      }
      taken.clear();
      for (std::size_t conn : to_flush_) {
        conns_[conn].listed = false;
        flush(conns_[conn], conn);
      }
      to_flush_.clear();
    }
  }

  void flush(Socket& s, std::size_t token) {
    std::size_t sent = 0;
    while (sent < s.out.size()) {
      const ssize_t w = ::send(s.fd, s.out.data() + sent, s.out.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) break;  // EAGAIN: wait for EPOLLOUT; an error: the sink is gone
      sent += static_cast<std::size_t>(w);
    }
    s.out.erase(0, sent);
    const bool want_out = !s.out.empty();
    if (want_out != s.want_out) {
      s.want_out = want_out;
      epoll_event ev{};
      ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
      ev.data.u64 = token;
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
    }
  }

  std::vector<Socket> conns_;
  std::vector<std::size_t> to_flush_;
  int epoll_ = -1;
  int wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::mutex mu_;
  std::deque<std::pair<std::size_t, std::string>> queue_;
  std::atomic<std::uint64_t> wakeups_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace bench
