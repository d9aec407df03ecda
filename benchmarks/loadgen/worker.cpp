#include "worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

namespace loadgen {
namespace {

constexpr std::size_t kBatch = 64;       // connects in flight per worker: gentle on backlogs
constexpr int kConnectAttempts = 6;      // refused or EAGAIN: retried with a growing pause
constexpr int kConnectTimeoutMs = 5000;  // per batch
constexpr std::size_t kReadBuffer = 64 * 1024;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool retryable(int error) {
  return error == ECONNREFUSED || error == EAGAIN || error == ETIMEDOUT || error == EINTR;
}

}  // namespace

struct Worker::Connection {
  int fd = -1;
  std::uint64_t id = 0;
  std::size_t start = 0;                // where its stream begins in the byte pattern
  std::uint64_t issued = 0;             // bytes of the messages issued so far
  std::uint64_t sent = 0;               // of those, bytes written to the socket
  std::uint64_t received = 0;           // bytes echoed back and verified
  std::uint64_t completed = 0;          // bytes of whole messages echoed back
  std::vector<std::int64_t> issued_at;  // ring of the in-flight messages' issue times
  std::size_t head = 0, in_flight = 0;
  int attempts = 0;
  bool connected = false;
  bool watching_out = false;
};

Worker::Worker(RunState& run, std::uint64_t first_id, int count)
    : run_(run), connections_(static_cast<std::size_t>(count)), buffer_(kReadBuffer) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    Connection& c = connections_[i];
    c.id = first_id + i;
    c.start = BytePattern::start_of(c.id);
    c.issued_at.resize(static_cast<std::size_t>(run.options.pipeline));
  }
}

Worker::~Worker() {
  for (Connection& c : connections_)
    if (c.fd >= 0) ::close(c.fd);
  if (epoll_ >= 0) ::close(epoll_);
}

void Worker::run() {
  connect_all();
  run_.workers_connected.fetch_add(1);
  while (run_.phase.load() == kConnecting)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));

  const bool hold = run_.options.hold_s >= 0;
  std::int64_t now = now_ns();
  for (Connection& c : connections_) {
    if (c.fd < 0) continue;
    for (int i = 0; i < (hold ? 1 : run_.options.pipeline); ++i)
      issue(c, now);
    flush(c);
  }

  std::vector<epoll_event> events(256);
  while (run_.phase.load(std::memory_order_relaxed) != kStop) {
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 10);
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      Connection& c = connections_[events[i].data.u32];
      if (c.fd < 0) continue;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, now);
      if (c.fd >= 0 && (events[i].events & EPOLLOUT)) flush(c);
    }
  }
}

void Worker::connect_all() {
  for (std::size_t first = 0; first < connections_.size(); first += kBatch)
    connect_batch(first, std::min(first + kBatch, connections_.size()));
}

// Opens [first, end) non-blocking, waits for each handshake, retries the refused ones.
void Worker::connect_batch(std::size_t first, std::size_t end) {
  const Target& target = run_.target;
  for (;;) {
    std::size_t pending = 0, retry = 0;
    for (std::size_t i = first; i < end; ++i) {
      Connection& c = connections_[i];
      if (c.connected || c.fd >= 0 || c.attempts >= kConnectAttempts) continue;
      ++c.attempts;
      c.fd = ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) {
        c.attempts = kConnectAttempts;
        ++result_.connect_failures;
        continue;
      }
      if (target.address.ss_family != AF_UNIX) {
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      const int r =
          ::connect(c.fd, reinterpret_cast<const sockaddr*>(&target.address), target.length);
      if (r != 0 && errno != EINPROGRESS) {
        const int error = errno;
        ::close(c.fd);
        c.fd = -1;
        if (retryable(error) && c.attempts < kConnectAttempts) {
          ++retry;
        } else {
          ++result_.connect_failures;
        }
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
      ++pending;
    }
    // Each pending handshake resolves to connected, retry or failure.
    std::vector<epoll_event> events(kBatch);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kConnectTimeoutMs);
    std::size_t resolved = 0;
    while (resolved < pending && std::chrono::steady_clock::now() < deadline) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      for (int k = 0; k < n; ++k) {
        Connection& c = connections_[events[k].data.u32];
        int error = 0;
        socklen_t len = sizeof error;
        ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
        ++resolved;
        if (error == 0) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u32 = events[k].data.u32;
          ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
          ++result_.connected;
          c.connected = true;
          continue;
        }
        ::close(c.fd);
        c.fd = -1;
        if (retryable(error) && c.attempts < kConnectAttempts) {
          ++retry;
        } else {
          ++result_.connect_failures;
        }
      }
    }
    if (resolved < pending) {  // handshakes that never finished
      for (std::size_t i = first; i < end; ++i) {
        Connection& c = connections_[i];
        if (c.fd >= 0 && !c.connected) {
          ::close(c.fd);
          c.fd = -1;
          ++result_.connect_failures;
          c.attempts = kConnectAttempts;
        }
      }
    }
    if (retry == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * connections_[first].attempts));
  }
}

void Worker::issue(Connection& c, std::int64_t now) {
  c.issued_at[(c.head + c.in_flight) % c.issued_at.size()] = now;
  ++c.in_flight;
  c.issued += run_.options.size;
}

void Worker::flush(Connection& c) {
  while (c.sent < c.issued) {
    std::size_t len = static_cast<std::size_t>(c.issued - c.sent);
    const unsigned char* data = run_.pattern.slice(c.start, c.sent, &len);
    const ssize_t n = ::send(c.fd, data, len, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!c.watching_out) watch(c, true);
      return;
    }
    fail(c, &WorkerResult::disconnects);
    return;
  }
  if (c.watching_out) watch(c, false);
}

void Worker::watch(Connection& c, bool out) {
  epoll_event ev{};
  ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
  ev.data.u32 = static_cast<std::uint32_t>(&c - connections_.data());
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.watching_out = out;
}

void Worker::on_readable(Connection& c, std::int64_t now) {
  for (int reads = 0; reads < 4; ++reads) {
    const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      // The server hung up or reset while we still expected bytes.
      if (run_.phase.load(std::memory_order_relaxed) != kStop) fail(c, &WorkerResult::disconnects);
      return;
    }
    const auto len = static_cast<std::size_t>(n);
    if (c.received + len > c.sent ||
        !run_.pattern.matches(c.start, c.received, buffer_.data(), len)) {
      fail(c, &WorkerResult::mismatches);
      return;
    }
    c.received += len;
    complete_messages(c, now);
    if (c.fd < 0) return;
    if (len < buffer_.size()) break;
  }
  flush(c);
}

void Worker::complete_messages(Connection& c, std::int64_t now) {
  const std::uint64_t size = run_.options.size;
  const int phase = run_.phase.load(std::memory_order_relaxed);
  const bool hold = run_.options.hold_s >= 0;
  while (c.in_flight > 0 && c.received >= c.completed + size) {
    const std::int64_t issued_at = c.issued_at[c.head];
    c.head = (c.head + 1) % c.issued_at.size();
    --c.in_flight;
    c.completed += size;
    if (phase == kMeasure) {
      ++result_.messages;
      result_.latency.record(static_cast<std::uint64_t>(now - issued_at));
    }
    if (hold) {
      run_.held_echoes.fetch_add(1);
    } else if (phase != kStop) {
      issue(c, now);
    }
  }
}

void Worker::fail(Connection& c, std::uint64_t WorkerResult::*counter) {
  ++(result_.*counter);
  ::close(c.fd);  // closing also removes it from the epoll set
  c.fd = -1;
}

}  // namespace loadgen
