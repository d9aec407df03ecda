#include "actnet/io/epoll_poller.hpp"

#include <cerrno>
#include <string>

namespace actnet::io {

namespace {

std::uint32_t to_epoll(Interest interest) {
  std::uint32_t events = 0;
  // EPOLLRDHUP only with read interest: a loop that stopped reading a half-closed connection
  // (to finish writing its reply) must not be woken for the peer's FIN on every turn.
  if (has(interest, Interest::readable)) events |= EPOLLIN | EPOLLRDHUP;
  if (has(interest, Interest::writable)) events |= EPOLLOUT;
  if (has(interest, Interest::edge_triggered)) events |= EPOLLET;
  return events;  // EPOLLHUP and EPOLLERR are always reported
}

Ready from_epoll(std::uint32_t events) {
  Ready ready = Ready::none;
  if (events & (EPOLLIN | EPOLLPRI)) ready |= Ready::readable;
  if (events & EPOLLOUT) ready |= Ready::writable;
  if (events & (EPOLLHUP | EPOLLRDHUP)) ready |= Ready::hang_up;
  if (events & EPOLLERR) ready |= Ready::error;
  return ready;
}

}  // namespace

Result<EpollPoller> EpollPoller::open() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return errno_error(errno, "epoll_create1");
  return EpollPoller(UniqueFd(fd));
}

EpollPoller::EpollPoller(UniqueFd epoll)
    : epoll_(std::move(epoll)), raw_(kMinEvents), events_(kMinEvents) {}

Status EpollPoller::control(int op, const char* op_name, int fd, Interest interest,
                            std::uint64_t token) {
  epoll_event ev{};
  ev.events = to_epoll(interest);
  ev.data.u64 = token;
  if (::epoll_ctl(epoll_.get(), op, fd, &ev) != 0) {
    return errno_error(errno, std::string("epoll_ctl(") + op_name + ") of fd " +
                                  std::to_string(fd) + " on epoll fd " +
                                  std::to_string(epoll_.get()));
  }
  return ok_status();
}

Status EpollPoller::add(int fd, Interest interest, std::uint64_t token) {
  ++counts_.adds;
  return control(EPOLL_CTL_ADD, "EPOLL_CTL_ADD", fd, interest, token);
}

Status EpollPoller::modify(int fd, Interest interest, std::uint64_t token) {
  ++counts_.modifies;
  return control(EPOLL_CTL_MOD, "EPOLL_CTL_MOD", fd, interest, token);
}

Status EpollPoller::remove(int fd) {
  ++counts_.removes;
  // The event is ignored for EPOLL_CTL_DEL but must be non-null before Linux 2.6.9.
  return control(EPOLL_CTL_DEL, "EPOLL_CTL_DEL", fd, Interest::none, 0);
}

Result<std::span<const PollEvent>> EpollPoller::wait(int timeout_ms) {
  ++counts_.waits;
  const int n = ::epoll_wait(epoll_.get(), raw_.data(), static_cast<int>(raw_.size()), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return std::span<const PollEvent>();
    return errno_error(errno, "epoll_wait on epoll fd " + std::to_string(epoll_.get()));
  }
  const auto count = static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < count; ++i) {
    events_[i] = PollEvent{raw_[i].data.u64, from_epoll(raw_[i].events)};
  }
  // Resizing keeps events_[0..count) (growing copies them, shrinking cuts only past a
  // quarter of the old size), so the span is taken after it.
  resize_after(count);
  return std::span<const PollEvent>(events_.data(), count);
}

void EpollPoller::resize_after(std::size_t returned) {
  const std::size_t size = raw_.size();
  if (returned == size && size < kMaxEvents) {
    light_waits_ = 0;
    raw_.resize(size * 2);
    events_.resize(size * 2);
    return;
  }
  if (size > kMinEvents && returned <= size / 4) {
    if (++light_waits_ < kShrinkAfter) return;
    light_waits_ = 0;
    raw_.resize(size / 2);
    raw_.shrink_to_fit();
    events_.resize(size / 2);
    events_.shrink_to_fit();
    return;
  }
  light_waits_ = 0;
}

}  // namespace actnet::io
