// actnet-peer-epoll-echo: the practical floor. One thread per --threads, each with its own
// SO_REUSEPORT listener and level-triggered epoll; reads into one thread buffer and writes
// straight back. Only a short write leaves bytes behind, kept per connection until EPOLLOUT
// (reading pauses meanwhile, which is the backpressure).
//
//   actnet-peer-epoll-echo --port P --threads N

#include <netinet/tcp.h>
#include <sys/epoll.h>

#include <cerrno>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "peer_args.hpp"

namespace {

void serve(int port) {
  const int listener = peers::reuse_port_listener(port);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, std::vector<char>> unsent;  // only connections with a short write
  std::vector<char> buffer(64 * 1024);
  std::vector<epoll_event> events(512);
  auto close_conn = [&](int fd) {
    unsent.erase(fd);
    ::close(fd);
  };
  for (;;) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (;;) {
          const int c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          const int one = 1;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      if (events[i].events & EPOLLOUT) {
        std::vector<char>& rest = unsent[fd];
        const ssize_t w = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
          close_conn(fd);
          continue;
        }
        if (w > 0) rest.erase(rest.begin(), rest.begin() + w);
        if (rest.empty()) {
          unsent.erase(fd);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = fd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
        continue;
      }
      const ssize_t r = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        close_conn(fd);
        continue;
      }
      if (r < 0) continue;
      ssize_t w = ::send(fd, buffer.data(), static_cast<std::size_t>(r), MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN) {
        close_conn(fd);
        continue;
      }
      if (w < 0) w = 0;
      if (w < r) {
        unsent[fd].assign(buffer.data() + w, buffer.data() + r);
        epoll_event cev{};
        cev.events = EPOLLOUT;
        cev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const peers::PeerArgs args = peers::parse_peer_args(argc, argv, "actnet-peer-epoll-echo");
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t)
    threads.emplace_back(serve, args.port);
  for (auto& t : threads)
    t.join();
}
